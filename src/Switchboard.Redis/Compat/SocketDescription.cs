using System.Globalization;
using System.Text.Json;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.Redis.Compat;

/// <summary>
/// A socket as a Node server's <c>fetchSockets()</c> expects it from a remote server:
/// <c>{id, handshake, rooms, data}</c>, the handshake shaped as socket.io's (headers, time, address,
/// xdomain, secure, issued, url, query, auth).
/// </summary>
internal static class SocketDescription
{
    public static void Write(Utf8JsonWriter writer, Socket socket)
    {
        var handshake = socket.Handshake;
        writer.WriteStartObject();
        writer.WriteString("id"u8, socket.Id);
        writer.WriteStartObject("handshake"u8);
        WriteMap(writer, "headers"u8, handshake.Headers);
        writer.WriteString("time"u8, handshake.IssuedAt.ToString("R", CultureInfo.InvariantCulture));
        writer.WriteString("address"u8, handshake.Address?.ToString() ?? "");
        writer.WriteBoolean("xdomain"u8, handshake.Headers.ContainsKey("origin"));
        writer.WriteBoolean("secure"u8, handshake.Secure);
        writer.WriteNumber("issued"u8, handshake.IssuedAt.ToUnixTimeMilliseconds());
        writer.WriteString("url"u8, handshake.Url);
        WriteMap(writer, "query"u8, handshake.Query);
        writer.WritePropertyName("auth"u8);
        if (handshake.Auth.ValueKind is JsonValueKind.Undefined)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else
        {
            handshake.Auth.WriteTo(writer);
        }
        writer.WriteEndObject();
        writer.WriteStartArray("rooms"u8);
        foreach (var room in socket.Rooms)
        {
            writer.WriteStringValue(room);
        }
        writer.WriteEndArray();
        writer.WritePropertyName("data"u8);
        WriteData(writer, socket.Data);
        writer.WriteEndObject();
    }

    /// <summary>Each entry of <see cref="Socket.Data"/> that serializes as JSON; the others (server-side objects) are left out.</summary>
    private static void WriteData(Utf8JsonWriter writer, IDictionary<string, object?> data)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in data.ToArray())
        {
            byte[] json;
            try
            {
                json = JsonSerializer.SerializeToUtf8Bytes(value, value?.GetType() ?? typeof(object), SocketJson.Options);
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
            {
                continue;
            }
            writer.WritePropertyName(key);
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        writer.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, string> values)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in values)
        {
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
    }
}
