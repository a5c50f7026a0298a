using Switchboard.Engine;

namespace Switchboard.Core.Tests.Engine;

public sealed class CompactDictionaryTests
{
    [Fact]
    public void Finds_keys_under_its_comparer_and_enumerates_in_order()
    {
        var headers = new CompactDictionary([new("host", "example"), new("user-agent", "test")], StringComparer.OrdinalIgnoreCase);

        Assert.Equal(2, headers.Count);
        Assert.Equal("example", headers["Host"]);
        Assert.True(headers.TryGetValue("USER-AGENT", out var agent));
        Assert.Equal("test", agent);
        Assert.False(headers.ContainsKey("cookie"));
        Assert.Throws<KeyNotFoundException>(() => headers["cookie"]);
        Assert.Equal(["host", "user-agent"], headers.Keys);
        Assert.Equal(["example", "test"], headers.Values);
        Assert.Equal([new KeyValuePair<string, string>("host", "example"), new("user-agent", "test")], headers);
    }

    [Fact]
    public void An_ordinal_dictionary_tells_case_apart()
    {
        var query = new CompactDictionary([new("EIO", "4")], StringComparer.Ordinal);

        Assert.True(query.ContainsKey("EIO"));
        Assert.False(query.ContainsKey("eio"));
        Assert.Empty(CompactDictionary.EmptyOrdinal);
    }
}
