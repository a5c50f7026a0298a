using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>
/// The two keys of one channel (docs/redis.md, "Keys"): <c>{prefix}{{nsp}:{channel}}:log</c>, a stream,
/// and <c>…:meta</c>, a hash. The braces are a hash tag, so both keys land in one cluster slot and one
/// script may touch both. <c>%</c> and <c>:</c> in the namespace are escaped, so the first <c>:</c>
/// after the brace always ends the namespace and no two (namespace, channel) pairs share keys.
/// </summary>
internal readonly record struct ChannelKeys(RedisKey Log, RedisKey Meta)
{
    public static ChannelKeys For(string prefix, string nsp, string channel)
    {
        var tagged = $"{prefix}{{{EscapeNamespace(nsp)}:{channel}}}";
        return new ChannelKeys(tagged + ":log", tagged + ":meta");
    }

    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException("The key prefix must not contain '{' or '}': the channel's hash tag follows it.", nameof(prefix));
        }
    }

    private static string EscapeNamespace(string nsp) =>
        nsp.AsSpan().IndexOfAny('%', ':') < 0 ? nsp : nsp.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal);
}
