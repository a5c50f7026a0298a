using System.Text;
using System.Text.Json;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests;

/// <summary>An emit's arguments as one JSON array, the form a publication keeps (docs/decisions/0011).</summary>
public sealed class ArgumentsJsonTests
{
    private sealed class Forwarded(string raw, params byte[][] attachments) : IForwardedArguments
    {
        private readonly JsonElement[] _values = JsonDocument.Parse("[" + raw + "]").RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();

        public ReadOnlyMemory<byte> Raw { get; } = Encoding.UTF8.GetBytes(raw);

        public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; } = [.. attachments.Select(a => (ReadOnlyMemory<byte>)a)];

        public int Count => _values.Length;

        public JsonElement this[int index] => _values[index];
    }

    private static string Encode(params object?[] args) => Encoding.UTF8.GetString(ArgumentsJson.Encode(args));

    [Fact]
    public void Values_are_written_as_in_a_packet_and_binary_as_base64()
    {
        var element = JsonDocument.Parse("""{"x":[1,2]}""").RootElement;

        Assert.Equal("""[null,"<a>",{"x":[1,2]},{"symbol":"A","price":1.5},"AQID"]""",
            Encode(null, "<a>", element, new { Symbol = "A", Price = 1.5 }, new byte[] { 1, 2, 3 }));
        Assert.Equal("[]", Encode());
    }

    [Fact]
    public void Forwarded_arguments_keep_their_bytes_and_their_placeholders_become_base64()
    {
        Assert.Equal("""[0,{"a" : 1},"x",1]""", Encode(0, new Forwarded("""{"a" : 1},"x" """.TrimEnd()), 1));
        Assert.Equal("""["AQI=",{"b":"Aw=="}]""",
            Encode(new Forwarded("""{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}""", [1, 2], [3])));
    }

    [Fact]
    public void Inside_an_attachment_scope_binary_becomes_a_placeholder_and_an_attachment()
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        string json;
        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            json = Encode("a", new byte[] { 9 });
        }

        Assert.Equal("""["a",{"_placeholder":true,"num":0}]""", json);
        Assert.Equal([9], Assert.Single(attachments).ToArray());
    }

    [Fact]
    public void A_value_that_fails_to_serialize_leaves_the_next_encoding_clean()
    {
        Assert.ThrowsAny<Exception>(() => Encode(1, new Failing()));

        Assert.Equal("[2]", Encode(2));
    }

    private sealed class Failing
    {
        public int Value => throw new InvalidOperationException("no");
    }
}
