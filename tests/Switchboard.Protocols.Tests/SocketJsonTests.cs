using System.Text.Json;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests;

public class SocketJsonTests
{
    private sealed record Upload(string FileName, byte[] Content, ReadOnlyMemory<byte> Thumbnail);

    private sealed record Person(string FirstName, int Age, bool IsAdmin);

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, SocketJson.Options);

    private sealed record Reading(double Value, float Single, double? Missing, double[] Series);

    [Fact]
    public void NaN_and_the_infinities_are_written_as_null_and_minus_zero_as_zero_as_JSON_stringify_does()
    {
        var json = Serialize(new Reading(double.NaN, float.PositiveInfinity, double.NegativeInfinity, [-0.0, 1.5, double.PositiveInfinity, -2]));

        Assert.Equal("{\"value\":null,\"single\":null,\"missing\":null,\"series\":[0,1.5,null,-2]}", json);
        Assert.Equal("0", Serialize(-0f));
        Assert.Equal("-0.25", Serialize(-0.25));
    }

    // Not [InlineData]: attribute strings are stored as UTF-8, which cannot hold a lone surrogate.
    [Fact]
    public void A_lone_surrogate_reads_into_a_string_as_JavaScript_keeps_it()
    {
        Assert.Equal("lone \ud800 high", JsonSerializer.Deserialize<string>("\"lone \\ud800 high\"", SocketJson.Options));
        Assert.Equal("\udc00 low, \"quoted\" \n é é \\",
            JsonSerializer.Deserialize<string>("\"\\udc00 low, \\\"quoted\\\" \\n \\u00e9 é \\\\\"", SocketJson.Options));
    }

    [Fact]
    public void A_lone_surrogate_is_written_escaped_and_a_pair_round_trips()
    {
        Assert.Equal("\"a \\ud800 \\\"b\\\" \\u0001\"", Serialize("a \ud800 \"b\" \u0001"));
        Assert.Equal("😀 ok", JsonSerializer.Deserialize<string>(Serialize("😀 ok"), SocketJson.Options));
        Assert.Equal("lone \udc00", JsonSerializer.Deserialize<string>(Serialize("lone \udc00"), SocketJson.Options));
    }

    [Fact]
    public void Binary_values_become_placeholders_inside_an_attachment_scope()
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        string json;

        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            json = Serialize(new byte[] { 1, 2, 3 });
        }

        Assert.Equal("{\"_placeholder\":true,\"num\":0}", json);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(attachments).ToArray());
    }

    [Fact]
    public void Placeholders_are_numbered_and_collected_in_the_order_they_are_written()
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var upload = new Upload("a.png", [10, 11], new byte[] { 20 });
        string json;

        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            json = Serialize(new object[] { upload, new byte[] { 30, 31, 32 } });
        }

        Assert.Equal(
            "[{\"fileName\":\"a.png\",\"content\":{\"_placeholder\":true,\"num\":0},\"thumbnail\":{\"_placeholder\":true,\"num\":1}},{\"_placeholder\":true,\"num\":2}]",
            json);
        Assert.Equal([[10, 11], [20], [30, 31, 32]], attachments.Select(a => a.ToArray()));
    }

    [Fact]
    public void Placeholders_resolve_to_the_attachments_when_reading()
    {
        IReadOnlyList<ReadOnlyMemory<byte>> attachments = [new byte[] { 1 }, new byte[] { 2, 2 }];
        const string json = "{\"fileName\":\"f\",\"content\":{\"_placeholder\":true,\"num\":1},\"thumbnail\":{\"num\":0,\"_placeholder\":true}}";
        Upload? upload;

        using (SocketJson.AttachmentScope.ForReading(attachments))
        {
            upload = JsonSerializer.Deserialize<Upload>(json, SocketJson.Options);
        }

        Assert.NotNull(upload);
        Assert.Equal("f", upload.FileName);
        Assert.Equal(new byte[] { 2, 2 }, upload.Content);
        Assert.Equal(new byte[] { 1 }, upload.Thumbnail.ToArray());
    }

    [Fact]
    public void Written_attachments_read_back_to_the_same_bytes()
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var original = new Upload("x", [1, 2, 3, 4], new byte[] { 9, 8 });
        string json;
        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            json = Serialize(original);
        }

        Upload? copy;
        using (SocketJson.AttachmentScope.ForReading(attachments))
        {
            copy = JsonSerializer.Deserialize<Upload>(json, SocketJson.Options);
        }

        Assert.NotNull(copy);
        Assert.Equal(original.Content, copy.Content);
        Assert.Equal(original.Thumbnail.ToArray(), copy.Thumbnail.ToArray());
    }

    [Theory]
    [InlineData("{\"_placeholder\":true,\"num\":2}")]
    [InlineData("{\"_placeholder\":true,\"num\":-1}")]
    [InlineData("{\"_placeholder\":false,\"num\":0}")]
    [InlineData("{\"num\":0}")]
    [InlineData("{\"_placeholder\":true}")]
    [InlineData("42")]
    public void A_placeholder_that_names_no_received_attachment_is_refused(string json)
    {
        IReadOnlyList<ReadOnlyMemory<byte>> attachments = [new byte[] { 1 }, new byte[] { 2 }];

        using var scope = SocketJson.AttachmentScope.ForReading(attachments);

        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<byte[]>(json, SocketJson.Options));
    }

    [Fact]
    public void A_placeholder_outside_a_reading_scope_is_refused()
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<byte[]>("{\"_placeholder\":true,\"num\":0}", SocketJson.Options));
    }

    [Fact]
    public void Binary_values_are_base64_outside_a_scope()
    {
        Assert.Equal("\"AQID\"", Serialize(new byte[] { 1, 2, 3 }));
        Assert.Equal("{\"fileName\":\"n\",\"content\":\"/wA=\",\"thumbnail\":\"\"}", Serialize(new Upload("n", [0xFF, 0], ReadOnlyMemory<byte>.Empty)));
        Assert.Equal(new byte[] { 1, 2, 3 }, JsonSerializer.Deserialize<byte[]>("\"AQID\"", SocketJson.Options));
    }

    [Fact]
    public void Disposing_a_scope_restores_the_previous_one()
    {
        var outer = new List<ReadOnlyMemory<byte>>();
        var inner = new List<ReadOnlyMemory<byte>>();
        string afterInner;

        using (SocketJson.AttachmentScope.ForWriting(outer))
        {
            using (SocketJson.AttachmentScope.ForWriting(inner))
            {
                Serialize(new byte[] { 1 });
            }
            afterInner = Serialize(new byte[] { 2 });
        }
        var outside = Serialize(new byte[] { 3 });

        Assert.Equal(new byte[] { 1 }, Assert.Single(inner).ToArray());
        Assert.Equal(new byte[] { 2 }, Assert.Single(outer).ToArray());
        Assert.Equal("{\"_placeholder\":true,\"num\":0}", afterInner);
        Assert.Equal("\"Aw==\"", outside);
    }

    [Fact]
    public void Members_are_camel_case_and_read_case_insensitively()
    {
        Assert.Equal("{\"firstName\":\"Ada\",\"age\":36,\"isAdmin\":true}", Serialize(new Person("Ada", 36, true)));
        Assert.Equal(new Person("Bob", 7, false), JsonSerializer.Deserialize<Person>("{\"FirstName\":\"Bob\",\"age\":7,\"ISADMIN\":false}", SocketJson.Options));
    }

    [Fact]
    public void Html_sensitive_characters_are_not_escaped()
    {
        Assert.Equal("\"<b>Tom & Jerry's</b>\"", Serialize("<b>Tom & Jerry's</b>"));
        Assert.Equal("\"é ü 日本 \\\"q\\\" \\\\\"", Serialize("é ü 日本 \"q\" \\"));
    }

    [Fact]
    public void Integers_are_written_without_a_decimal_point()
    {
        Assert.Equal("[42,-7,9007199254740991,0,3]", Serialize(new object[] { 42, -7L, 9007199254740991L, (short)0, (byte)3 }));
        Assert.Equal("[3,2.5,-0.125]", Serialize(new double[] { 3.0, 2.5, -0.125 }));
    }

    [Fact]
    public void Numbers_are_not_read_from_strings()
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<int>("\"42\"", SocketJson.Options));
    }

    [Fact]
    public void Output_is_compact()
    {
        Assert.Equal("{\"firstName\":\"a\",\"age\":1,\"isAdmin\":false}", Serialize(new Person("a", 1, false)));
        Assert.DoesNotContain("\n", Serialize(new { list = new[] { 1, 2 }, nested = new { x = 1 } }));
    }
}
