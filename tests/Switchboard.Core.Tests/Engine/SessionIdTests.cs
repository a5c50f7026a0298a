using Switchboard.Engine;

namespace Switchboard.Core.Tests.Engine;

public sealed class SessionIdTests
{
    [Fact]
    public void Ids_are_20_url_safe_characters_and_do_not_repeat()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        // More than one fill of the per-thread random buffer.
        for (var i = 0; i < 1000; i++)
        {
            var id = EngineServer.NewSessionId();
            Assert.Equal(20, id.Length);
            Assert.All(id, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', id));
            Assert.True(ids.Add(id));
        }
    }

    [Fact]
    public async Task Ids_from_many_threads_do_not_repeat()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 500).Select(_ => EngineServer.NewSessionId()).ToArray())));
        var all = batches.SelectMany(b => b).ToArray();
        Assert.Equal(all.Length, all.Distinct(StringComparer.Ordinal).Count());
    }
}
