using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// The adapter's room and membership sets: an array while small, a hash set past eight items, the same
/// answers either way (docs/performance.md, S1).
/// </summary>
public sealed class MemberSetTests
{
    private static List<string> Items(MemberSet<string> set)
    {
        var items = new List<string>();
        foreach (var item in set)
        {
            items.Add(item);
        }
        return items;
    }

    [Fact]
    public void A_small_set_keeps_its_items_in_the_order_they_came_and_refuses_duplicates()
    {
        var set = new MemberSet<string>("own-id");
        Assert.True(set.Add("room-a"));
        Assert.True(set.Add("room-b"));
        Assert.False(set.Add("room-a"));
        // Ordinal, as the hash sets it replaces: a different string instance with the same text is the same item.
        Assert.False(set.Add(new string("room-b".AsSpan())));
        Assert.False(set.Contains("ROOM-A"));

        Assert.Equal(["own-id", "room-a", "room-b"], Items(set));
        Assert.Equal(["own-id", "room-a", "room-b"], set.ToArray());
        Assert.Equal(3, set.Count);

        Assert.True(set.Remove("room-a"));
        Assert.False(set.Remove("room-a"));
        Assert.Equal(["own-id", "room-b"], Items(set));
        Assert.True(set.Remove("own-id"));
        Assert.True(set.Remove("room-b"));
        Assert.Equal(0, set.Count);
        Assert.Empty(Items(set));
        Assert.True(set.Add("again"));
        Assert.Equal(["again"], set.ToArray());
    }

    [Fact]
    public void A_set_past_the_linear_size_answers_the_same_as_a_hash_set()
    {
        var set = new MemberSet<string>("r0");
        var expected = new HashSet<string>(StringComparer.Ordinal) { "r0" };
        for (var i = 1; i < 100; i++)
        {
            Assert.Equal(expected.Add($"r{i}"), set.Add($"r{i}"));
            Assert.False(set.Add($"r{i / 2}"));
            Assert.Equal(expected.Count, set.Count);
        }
        Assert.True(set.Count > MemberSet<string>.MaxLinear);
        Assert.Equal(expected.Order(), Items(set).Order());
        Assert.Equal(expected.Order(), set.ToArray().Order());
        for (var i = 0; i < 100; i += 3)
        {
            Assert.True(set.Remove($"r{i}"));
            Assert.False(set.Contains($"r{i}"));
            expected.Remove($"r{i}");
        }
        Assert.Equal(expected.Order(), Items(set).Order());
        Assert.True(set.Contains("r1"));
    }

    [Fact]
    public void Sockets_compare_by_reference()
    {
        var a = new object();
        var b = new object();
        var set = new MemberSet<object>(a);
        Assert.True(set.Add(b));
        Assert.False(set.Add(a));
        Assert.True(set.Contains(b));
        Assert.True(set.Remove(a));
        Assert.False(set.Contains(a));
    }
}
