using System.Buffers;
using System.Text.Json;

namespace Switchboard.Protocols.EngineIO;

/// <summary>The data of the Engine.IO open packet: exactly these five members, in this order.</summary>
public readonly record struct EngineHandshake(string Sid, bool CanUpgradeToWebSocket, int PingIntervalMs, int PingTimeoutMs, long MaxPayload)
{
    /// <summary>Writes the complete open packet (<c>0{...}</c>).</summary>
    public void WriteOpenPacket(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'0';
        output.Advance(1);
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("sid"u8, Sid);
        json.WriteStartArray("upgrades"u8);
        if (CanUpgradeToWebSocket)
        {
            json.WriteStringValue("websocket"u8);
        }
        json.WriteEndArray();
        json.WriteNumber("pingInterval"u8, PingIntervalMs);
        json.WriteNumber("pingTimeout"u8, PingTimeoutMs);
        json.WriteNumber("maxPayload"u8, MaxPayload);
        json.WriteEndObject();
    }

    /// <summary>The OPEN packet (<c>0</c> followed by the handshake's JSON) as UTF-8 bytes.</summary>
    public byte[] EncodeOpenPacket()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        WriteOpenPacket(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
