using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;
using Switchboard.Channels;

namespace Switchboard.Redis;

/// <summary>
/// A publication as the fields of one stream entry (docs/redis.md, "Entries"): <c>seq</c>, <c>time</c>
/// (Unix microseconds), <c>event</c>, <c>args</c> (the arguments as one JSON array, byte for byte),
/// and, only when present, <c>except</c> (a JSON array of room names) and <c>publisher</c>.
/// Readers ignore fields they do not know.
/// </summary>
internal static class StoredPublication
{
    private const string Seq = "seq";
    private const string Time = "time";
    private const string Event = "event";
    private const string Args = "args";
    private const string Except = "except";
    private const string Publisher = "publisher";

    /// <summary>Adds the entry's field/value pairs to a script's arguments.</summary>
    public static void AddFields(List<RedisValue> argv, Publication publication, bool withSeq = true)
    {
        // seq and time first: the scripts look them up while trimming. Without seq, the script adds it.
        if (withSeq)
        {
            argv.Add(Seq);
            argv.Add(publication.Seq.ToString(CultureInfo.InvariantCulture));
        }
        argv.Add(Time);
        argv.Add(ToUnixMicroseconds(publication.Time).ToString(CultureInfo.InvariantCulture));
        argv.Add(Event);
        argv.Add(publication.Event);
        argv.Add(Args);
        argv.Add(publication.ArgumentsJson);
        if (publication.Except.Count > 0)
        {
            argv.Add(Except);
            argv.Add(JsonSerializer.SerializeToUtf8Bytes(publication.Except, StoreJson.Default.IReadOnlyCollectionString));
        }
        if (publication.PublisherId is { } publisher)
        {
            argv.Add(Publisher);
            argv.Add(publisher);
        }
    }

    /// <summary>Rebuilds a channel entry from a stream entry as XRANGE returns it: <c>[id, [field, value, …]]</c>.</summary>
    public static ChannelEntry ToEntry(string channel, string epoch, RedisResult entry)
    {
        var parts = (RedisResult[])entry!;
        var id = (string)parts[0]!;
        var offset = long.Parse(id.AsSpan(0, id.IndexOf('-')), NumberStyles.None, CultureInfo.InvariantCulture);
        var fields = (RedisValue[])parts[1]!;

        long seq = 0, micros = 0;
        string eventName = "";
        byte[] args = "[]"u8.ToArray();
        IReadOnlyCollection<string> except = [];
        string? publisher = null;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var value = fields[i + 1];
            switch ((string?)fields[i])
            {
                case Seq:
                    seq = (long)value;
                    break;
                case Time:
                    micros = (long)value;
                    break;
                case Event:
                    eventName = (string)value!;
                    break;
                case Args:
                    args = (byte[])value!;
                    break;
                case Except:
                    except = JsonSerializer.Deserialize((byte[])value!, StoreJson.Default.StringArray) ?? [];
                    break;
                case Publisher:
                    publisher = value;
                    break;
            }
        }
        return new ChannelEntry(channel, offset, epoch, Publication.FromStored(seq, eventName, args, except, publisher, FromUnixMicroseconds(micros)));
    }

    /// <summary>Microseconds since the Unix epoch: exact as a Lua number (a double) for any date in use.</summary>
    public static long ToUnixMicroseconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public static DateTimeOffset FromUnixMicroseconds(long micros) =>
        DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
}
