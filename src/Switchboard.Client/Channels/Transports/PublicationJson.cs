using System.Text.Json;

namespace Switchboard.Client.Channels.Transports;

/// <summary>Reading the objects every channel protocol shares: a publication, a position (<c>{channel, offset, epoch}</c>), a close.</summary>
internal static class PublicationJson
{
    public static bool TryRead(JsonElement value, out string channel, out ChannelPosition position, out string eventName, out JsonElement data)
    {
        eventName = "message";
        data = default;
        if (!TryReadPosition(value, out channel, out position))
        {
            return false;
        }
        if (value.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.String)
        {
            eventName = e.GetString()!;
        }
        data = value.TryGetProperty("data", out var d) ? d.Clone() : Null;
        return true;
    }

    public static bool TryReadPosition(JsonElement value, out string channel, out ChannelPosition position)
    {
        channel = "";
        position = default;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("channel", out var c) || c.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("offset", out var o) || o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out var offset) || offset < 0
            || !value.TryGetProperty("epoch", out var e) || e.ValueKind != JsonValueKind.String || e.GetString() is not { Length: > 0 } epoch)
        {
            return false;
        }
        channel = c.GetString()!;
        position = new ChannelPosition(offset, epoch);
        return channel.Length > 0;
    }

    public static (string Code, string? Reason, bool Reconnect) ReadClose(JsonElement value)
    {
        var code = value.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "closed";
        var reason = value.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        var reconnect = !(value.TryGetProperty("reconnect", out var again) && again.ValueKind == JsonValueKind.False);
        return (code, reason, reconnect);
    }

    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();
}
