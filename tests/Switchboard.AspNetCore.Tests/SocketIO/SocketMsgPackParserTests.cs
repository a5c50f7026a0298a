using System.Runtime.InteropServices;
using MessagePack;
using Microsoft.Extensions.Configuration;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>A Socket.IO server whose parser is socket.io-msgpack-parser's format.</summary>
public sealed class MsgPackSocketIOFixture : SocketIOFixture
{
    protected override void ConfigureOptions(SocketServerOptions options) => options.Parser = SocketParser.MsgPack;
}

/// <summary>
/// The msgpack parser over a real Kestrel WebSocket. Frames are written and read with MessagePack's own
/// serializer (not the server's transcoder), so both sides of each assertion are independent.
/// </summary>
public sealed class SocketMsgPackParserTests(MsgPackSocketIOFixture fixture) : IClassFixture<MsgPackSocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private static byte[] Pack(Dictionary<string, object?> packet) => MessagePackSerializer.Serialize(packet);

    private static Dictionary<object, object?> Unpack(byte[] frame) =>
        Assert.IsType<Dictionary<object, object?>>(MessagePackSerializer.Deserialize<object>(frame));

    private async Task<(SocketIOTestClient Client, Socket Socket)> JoinAsync(Namespace nsp)
    {
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        await client.SendAsync(Pack(new() { ["type"] = 0, ["nsp"] = nsp.Name }));
        var reply = Unpack(await client.ReceiveBinaryAsync().Within());
        Assert.Equal(0, Convert.ToInt32(reply["type"]));
        Assert.Equal(nsp.Name, reply["nsp"]);
        var data = Assert.IsType<Dictionary<object, object?>>(reply["data"]);
        return (client, SocketIOFixture.ServerSocket(nsp, Assert.IsType<string>(data["sid"])));
    }

    [Fact]
    public async Task Events_and_acks_travel_as_single_msgpack_frames_with_binary_inline()
    {
        var nsp = fixture.NewNamespace();
        nsp.On("echo", e => e.Ack(e.Args));
        var (client, _) = await JoinAsync(nsp);
        await using var _ = client;

        await client.SendAsync(Pack(new()
        {
            ["type"] = 2,
            ["nsp"] = nsp.Name,
            ["id"] = 9,
            ["data"] = new object?[] { "echo", new Dictionary<string, object?> { ["n"] = 1.5, ["bytes"] = new byte[] { 1, 2, 3 } }, null },
        }));

        var ack = Unpack(await client.ReceiveBinaryAsync().Within());
        Assert.Equal(3, Convert.ToInt32(ack["type"]));
        Assert.Equal(9, Convert.ToInt32(ack["id"]));
        Assert.Equal(nsp.Name, ack["nsp"]);
        var args = Assert.IsType<object?[]>(ack["data"]);
        var first = Assert.IsType<Dictionary<object, object?>>(args[0]);
        Assert.Equal(1.5, first["n"]);
        Assert.Equal([1, 2, 3], Assert.IsType<byte[]>(first["bytes"]));
        Assert.Null(args[1]);
    }

    [Fact]
    public async Task A_broadcast_is_transcoded_once_and_every_member_gets_the_same_bytes()
    {
        var nsp = fixture.NewNamespace();
        var (first, firstSocket) = await JoinAsync(nsp);
        var (second, secondSocket) = await JoinAsync(nsp);
        await using var _ = first;
        await using var __ = second;
        firstSocket.Join("room");
        secondSocket.Join("room");

        await nsp.To("room").EmitAsync("news", new { headline = "x" }, new byte[] { 7 });

        var a = await first.ReceiveBinaryAsync().Within();
        var b = await second.ReceiveBinaryAsync().Within();
        Assert.Equal(a, b);
        var packet = Unpack(a);
        Assert.Equal(2, Convert.ToInt32(packet["type"]));
        var data = Assert.IsType<object?[]>(packet["data"]);
        Assert.Equal("news", data[0]);
        Assert.Equal([7], Assert.IsType<byte[]>(data[2]));

        // The transcoded bytes are kept on the packet: the second recipient costs no encoding.
        var encoded = PacketEncoder.Event("/", "e", [1]);
        var once = SocketParser.MsgPack.Frame(encoded).Data;
        var again = SocketParser.MsgPack.Frame(encoded).Data;
        Assert.True(MemoryMarshal.TryGetArray(once, out var x) && MemoryMarshal.TryGetArray(again, out var y) && ReferenceEquals(x.Array, y.Array));
    }

    [Fact]
    public async Task Control_packets_are_msgpack_too()
    {
        var nsp = fixture.NewNamespace();
        nsp.Use((_, _) => throw new SocketConnectException("denied", new { code = 7 }));
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        await using var _ = client;

        await client.SendAsync(Pack(new() { ["type"] = 0, ["nsp"] = nsp.Name, ["data"] = new Dictionary<string, object?> { ["token"] = "t" } }));

        var refusal = Unpack(await client.ReceiveBinaryAsync().Within());
        Assert.Equal(4, Convert.ToInt32(refusal["type"]));
        var data = Assert.IsType<Dictionary<object, object?>>(refusal["data"]);
        Assert.Equal("denied", data["message"]);
        Assert.Equal(7, Convert.ToInt32(Assert.IsType<Dictionary<object, object?>>(data["data"])["code"]));

        var open = fixture.NewNamespace();
        var (joined, socket) = await JoinAsync(open);
        await using var __ = joined;
        socket.Disconnect();
        var disconnect = Unpack(await joined.ReceiveBinaryAsync().Within());
        Assert.Equal(1, Convert.ToInt32(disconnect["type"]));
        Assert.Equal(open.Name, disconnect["nsp"]);
        Assert.False(disconnect.ContainsKey("data"));
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "not MessagePack", [0xc1, 0x00] },
        { "truncated", Pack(new() { ["type"] = 2, ["nsp"] = "/", ["data"] = new object[] { "echo", "abcdef" } })[..12] },
        { "type 5", Pack(new() { ["type"] = 5, ["nsp"] = "/", ["data"] = new object[] { "echo" } }) },
        { "event data not an array", Pack(new() { ["type"] = 2, ["nsp"] = "/", ["data"] = "echo" }) },
        { "a text frame", "42[\"echo\"]"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_input_disconnects_with_forced_close_and_closes_the_connection(string label, byte[] frame)
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += (_, r) => reason.TrySetResult(r);

        if (label == "a text frame")
        {
            await client.SendAsync(System.Text.Encoding.UTF8.GetString(frame));
        }
        else
        {
            await client.SendAsync(frame);
        }

        Assert.Equal(DisconnectReason.ForcedClose, await reason.Task.Within());
        await client.Engine.WaitClosedAsync();
    }

    [Theory]
    [InlineData("msgpack", "msgpack")]
    [InlineData("MsgPack", "msgpack")]
    [InlineData("json", "json")]
    public void The_parser_binds_from_configuration_by_name(string configured, string expected)
    {
        var options = new SocketServerOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Switchboard:Parser"] = configured }).Build()
            .GetSection("Switchboard").Bind(options);
        Assert.Equal(expected, options.Parser.Name);
        Assert.Same(SocketParser.FromName(expected), options.Parser);
    }

    [Fact]
    public void An_unknown_parser_name_fails_binding_with_the_names_it_takes()
    {
        var options = new SocketServerOptions();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Switchboard:Parser"] = "protobuf" }).Build();
        var error = Assert.ThrowsAny<InvalidOperationException>(() => configuration.GetSection("Switchboard").Bind(options));
        Assert.Contains("'json' or 'msgpack'", error.ToString(), StringComparison.Ordinal);
    }
}
