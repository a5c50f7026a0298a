using System.Text;
using System.Text.Json;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests;

public class SocketEventDataTests
{
    private static (string? Name, string Args) Split(string json, bool hasName = true)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.True(SocketEventData.TrySplit(bytes, hasName, out var name, out var start, out var end), $"'{json}' was refused");
        Assert.InRange(start, 0, end);
        return (name, Encoding.UTF8.GetString(bytes[start..end]));
    }

    [Fact]
    public void Splits_the_event_name_from_the_raw_arguments()
    {
        var (name, args) = Split("[\"chat message\",\"hi\",42,{\"a\":true}]");

        Assert.Equal("chat message", name);
        Assert.Equal("\"hi\",42,{\"a\":true}", args);
    }

    [Fact]
    public void Reads_escaped_event_names()
    {
        var (name, args) = Split("[\"say \\\"hi\\\" \\u00e9\",1]");

        Assert.Equal("say \"hi\" é", name);
        Assert.Equal("1", args);
    }

    [Theory]
    [InlineData("[42,\"x\"]", "42", "\"x\"")]
    [InlineData("[0]", "0", "")]
    [InlineData("[-1.5,[]]", "-1.5", "[]")]
    public void Numeric_event_names_keep_their_text(string json, string expectedName, string expectedArgs)
    {
        var (name, args) = Split(json);

        Assert.Equal(expectedName, name);
        Assert.Equal(expectedArgs, args);
    }

    [Theory]
    [InlineData("[\"ping\"]")]
    [InlineData("[ \"ping\" ]")]
    public void An_event_without_arguments_has_an_empty_argument_slice(string json)
    {
        var (name, args) = Split(json);

        Assert.Equal("ping", name);
        Assert.Equal("", args);
    }

    [Fact]
    public void Nested_arrays_and_objects_stay_inside_the_argument_slice()
    {
        var (name, args) = Split("[\"deep\",[1,[2,[3]]],{\"a\":[{\"b\":[]}]},[]]");

        Assert.Equal("deep", name);
        Assert.Equal("[1,[2,[3]]],{\"a\":[{\"b\":[]}]},[]", args);
    }

    [Fact]
    public void Whitespace_around_the_elements_is_not_part_of_the_name_and_the_slice_starts_at_the_first_argument()
    {
        var (name, args) = Split(" [ \"spaced\" ,\n 1 , [ 2 ] ,\t\"x\" ] ");

        Assert.Equal("spaced", name);
        Assert.StartsWith("1 ,", args);
        using var reparsed = JsonDocument.Parse("[" + args + "]");
        Assert.Equal("[1,[2],\"x\"]", JsonSerializer.Serialize(reparsed.RootElement));
    }

    [Fact]
    public void Without_a_name_every_element_is_an_argument()
    {
        var (name, args) = Split("[\"not a name\",2]", hasName: false);

        Assert.Null(name);
        Assert.Equal("\"not a name\",2", args);
    }

    [Fact]
    public void Without_a_name_an_empty_array_has_an_empty_slice()
    {
        var (name, args) = Split("[]", hasName: false);

        Assert.Null(name);
        Assert.Equal("", args);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("\"x\"")]
    [InlineData("[]")]
    [InlineData("[null,1]")]
    [InlineData("[true]")]
    [InlineData("[{\"a\":1}]")]
    [InlineData("[[\"x\"]]")]
    [InlineData("[\"x\",")]
    [InlineData("[\"x\",{]")]
    [InlineData("")]
    public void Refuses_what_is_not_an_array_starting_with_a_name(string json)
    {
        Assert.False(SocketEventData.TrySplit(Encoding.UTF8.GetBytes(json), hasName: true, out _, out _, out _));
    }

    [Fact]
    public void An_event_name_that_is_not_utf8_is_refused_not_thrown()
    {
        // Found by the socket-packet fuzz target: over long-polling the bytes reach here undecoded, and
        // reading the name threw InvalidOperationException out of the message handler.
        byte[] packet = [.. "2/admin,12[\"qu"u8, 0xA3, .. "ei\",42]"u8];
        Assert.True(SocketPacketReader.TryParse(packet, out var parsed, out _));

        Assert.False(SocketEventData.TrySplit(parsed.Data.Span, hasName: true, out _, out _, out _));
    }
}
