using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Channels;

namespace Switchboard.Testing;

/// <summary>The contract on publications: reads by sequence number, concurrent appends, round trips, namespaces, the byte cap.</summary>
public abstract partial class ChannelStoreContract
{
    [Fact]
    public async Task Reading_after_a_sequence_number_returns_the_later_publications()
    {
        foreach (var seq in new long[] { 10, 20, 30 })
        {
            await Store.AppendAsync(Nsp, Channel, Publish(seq: seq), Roomy);
        }

        var afterFifteen = await Store.ReadAfterSeqAsync(Nsp, Channel, 15);
        var afterLast = await Store.ReadAfterSeqAsync(Nsp, Channel, 30);
        var afterZero = await Store.ReadAfterSeqAsync(Nsp, Channel, 0);

        Assert.True(afterFifteen.Continuous);
        Assert.Equal([20L, 30L], afterFifteen.Entries.Select(e => e.Publication.Seq));
        Assert.Equal([2, 3], afterFifteen.Entries.Select(e => e.Offset));
        Assert.True(afterLast.Continuous);
        Assert.Empty(afterLast.Entries);
        Assert.Equal([10L, 20L, 30L], afterZero.Entries.Select(e => e.Publication.Seq));
        Assert.Equal(3, afterZero.Top.Offset);
    }

    [Fact]
    public async Task Reading_after_a_sequence_number_is_a_discontinuity_once_a_later_publication_was_trimmed()
    {
        var two = new HistoryPolicy { Size = 2, Ttl = TimeSpan.FromHours(1) };
        foreach (var seq in new long[] { 10, 20, 30 })
        {
            await Store.AppendAsync(Nsp, Channel, Publish(seq: seq), two);
        }

        var beforeTrimmed = await Store.ReadAfterSeqAsync(Nsp, Channel, 5);
        var atTrimmed = await Store.ReadAfterSeqAsync(Nsp, Channel, 10);

        Assert.False(beforeTrimmed.Continuous);
        Assert.Empty(beforeTrimmed.Entries);
        Assert.Equal(3, beforeTrimmed.Top.Offset);
        Assert.True(atTrimmed.Continuous);
        Assert.Equal([20L, 30L], atTrimmed.Entries.Select(e => e.Publication.Seq));
    }

    [Fact]
    public async Task Concurrent_appends_get_distinct_consecutive_offsets()
    {
        const int Tasks = 4, Each = 25;
        var appends = Enumerable.Range(0, Tasks).Select(_ => Task.Run(async () =>
        {
            var offsets = new List<long>();
            for (var i = 0; i < Each; i++)
            {
                offsets.Add((await Store.AppendAsync(Nsp, Channel, Publish(), Roomy)).Offset);
            }
            return offsets;
        }));

        var offsets = (await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(30))).SelectMany(o => o).Order().ToArray();
        var read = await Store.ReadAsync(Nsp, Channel, null, 1000);

        Assert.Equal(Enumerable.Range(1, Tasks * Each).Select(i => (long)i), offsets);
        Assert.Equal(Enumerable.Range(1, Tasks * Each).Select(i => (long)i), read.Entries.Select(e => e.Offset));
        Assert.Equal(Tasks * Each, read.Top.Offset);
    }

    [Fact]
    public async Task Publications_round_trip_with_every_property()
    {
        var arguments = """[{"text":"héllo ☃ \"quoted\"","n":[1,2.5,-3e-7,null,true,false]},"x",[]]""";
        var full = Publication.FromStored(42, "chat message", Encoding.UTF8.GetBytes(arguments), ["muted", "banned"], "conn-1", Start.AddTicks(10));
        var bare = Publication.FromStored(43, "ping", "[]"u8.ToArray(), [], null, Start.AddSeconds(1));

        await Store.AppendAsync(Nsp, Channel, full, Roomy);
        await Store.AppendAsync(Nsp, Channel, bare, Roomy);
        var read = await Store.ReadAsync(Nsp, Channel, null, 10);
        var afterSeq = await Store.ReadAfterSeqAsync(Nsp, Channel, 0);

        foreach (var entries in new[] { read.Entries, afterSeq.Entries })
        {
            Assert.Equal(2, entries.Count);
            AssertSame(full, entries[0].Publication);
            AssertSame(bare, entries[1].Publication);
        }
        Assert.Equal(arguments, Encoding.UTF8.GetString(read.Entries[0].Publication.ArgumentsJson.Span));
        Assert.Equal("[]", Encoding.UTF8.GetString(read.Entries[1].Publication.ArgumentsJson.Span));

        static void AssertSame(Publication expected, Publication actual)
        {
            Assert.Equal(expected.Seq, actual.Seq);
            Assert.Equal(expected.Event, actual.Event);
            Assert.Equal(expected.ArgumentsJson.ToArray(), actual.ArgumentsJson.ToArray());
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
            Assert.Equal(expected.Except, actual.Except);
            Assert.Equal(expected.PublisherId, actual.PublisherId);
            Assert.Equal(expected.Time, actual.Time);
        }
    }

    [Fact]
    public async Task Channels_and_namespaces_have_their_own_offsets_and_entries()
    {
        // The last two pairs join to the same text with a ':' between namespace and channel.
        (string Nsp, string Channel)[] streams = [("/", "a"), ("/", "b"), ("/other", "a"), ("/x:y", "z"), ("/x", "y:z")];
        for (var i = 0; i < streams.Length; i++)
        {
            for (var n = 0; n <= i; n++)
            {
                await Store.AppendAsync(streams[i].Nsp, streams[i].Channel, Publish(eventName: $"e{i}"), Roomy);
            }
        }

        for (var i = 0; i < streams.Length; i++)
        {
            var read = await Store.ReadAsync(streams[i].Nsp, streams[i].Channel, null, 100);
            Assert.Equal(i + 1, read.Top.Offset);
            Assert.Equal(Enumerable.Range(1, i + 1).Select(o => (long)o), read.Entries.Select(e => e.Offset));
            Assert.All(read.Entries, e => Assert.Equal($"e{i}", e.Publication.Event));
            Assert.All(read.Entries, e => Assert.Equal(streams[i].Channel, e.Channel));
        }
    }

    [Fact]
    public async Task A_channel_keeps_no_more_bytes_than_its_policy_allows_and_keeps_its_epoch()
    {
        // About 1.1 KB each, however a store counts them: three fit in 3 500 bytes, four do not.
        var policy = new HistoryPolicy { Size = 1000, Ttl = TimeSpan.FromHours(1), MaxBytes = 3_500 };
        var positions = new StreamPosition[10];
        for (var i = 0; i < positions.Length; i++)
        {
            var seq = Interlocked.Increment(ref _seq);
            var publication = Publication.FromStored(seq, "message", Encoding.UTF8.GetBytes($"[\"{new string('x', 1000)}\"]"), [], null, Clock.GetUtcNow());
            positions[i] = await Store.AppendAsync(Nsp, Channel, publication, policy);
        }

        var latest = await Store.ReadAsync(Nsp, Channel, null, 100);
        var fromTrimmed = await Store.ReadAsync(Nsp, Channel, positions[0], 100);
        var fromKept = await Store.ReadAsync(Nsp, Channel, positions[^3], 100);

        Assert.InRange(latest.Entries.Count, 2, 3);
        Assert.Equal(10, latest.Entries[^1].Offset);
        Assert.Equal(positions[0].Epoch, latest.Top.Epoch);
        Assert.False(fromTrimmed.Continuous);
        Assert.Empty(fromTrimmed.Entries);
        Assert.True(fromKept.Continuous);
        Assert.Equal([9L, 10], fromKept.Entries.Select(e => e.Offset));
    }

    /// <summary>A publication stamped with the clock's current time and the next sequence number (or <paramref name="seq"/>).</summary>
}
