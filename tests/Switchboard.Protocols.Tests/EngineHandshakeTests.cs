using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Protocols.Tests;

public class EngineHandshakeTests
{
    [Fact]
    public void Open_packet_is_the_type_digit_and_exact_json_in_member_order()
    {
        var handshake = new EngineHandshake("abc_-123", CanUpgradeToWebSocket: true, PingIntervalMs: 25000, PingTimeoutMs: 20000, MaxPayload: 1_000_000);

        var wire = Encoding.UTF8.GetString(handshake.EncodeOpenPacket());

        Assert.Equal("0{\"sid\":\"abc_-123\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}", wire);
    }

    [Fact]
    public void A_websocket_first_session_offers_no_upgrades()
    {
        var handshake = new EngineHandshake("s1", CanUpgradeToWebSocket: false, PingIntervalMs: 300, PingTimeoutMs: 200, MaxPayload: 100);

        var wire = Encoding.UTF8.GetString(handshake.EncodeOpenPacket());

        Assert.Equal("0{\"sid\":\"s1\",\"upgrades\":[],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":100}", wire);
    }

    [Fact]
    public void WriteOpenPacket_appends_to_the_output_and_matches_EncodeOpenPacket()
    {
        var handshake = new EngineHandshake("sid", true, 1, 2, 3);
        var output = new ArrayBufferWriter<byte>();
        output.Write("prefix"u8);

        handshake.WriteOpenPacket(output);

        Assert.Equal("prefix" + Encoding.UTF8.GetString(handshake.EncodeOpenPacket()), Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void The_open_packet_members_are_in_the_protocol_order()
    {
        var json = new EngineHandshake("x", true, 1, 2, 3).EncodeOpenPacket().AsSpan(1).ToArray();

        using var document = JsonDocument.Parse(json);

        Assert.Equal(["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"], document.RootElement.EnumerateObject().Select(p => p.Name));
    }
}
