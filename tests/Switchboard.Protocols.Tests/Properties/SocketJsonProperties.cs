using System.Text.Json;
using CsCheck;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>Binary values through <see cref="SocketJson"/>: as placeholders with attachments, or as base64 without a scope.</summary>
public sealed class SocketJsonProperties
{
    public sealed record Message(string Text, byte[] First, byte[][] More, ReadOnlyMemory<byte> Last);

    private static readonly Gen<Message> Messages = Gen.Select(Gens.Text(0, 8), Gen.Byte.Array[0, 16], Gen.Byte.Array[0, 8].Array[0, 3], Gen.Byte.Array[0, 16],
        (text, first, more, last) => new Message(text, first, more, last));

    private static readonly Gen<byte[]> JsonInput = Gens.Input(
        "{", "}", "[", "]", ",", ":", "\"_placeholder\"", "true", "false", "\"num\"", "0", "1", "-1", "2147483648", "\"AAEC\"", "\"%%\"", "null", "\"x\"");

    [Fact]
    public void Binary_values_become_placeholders_and_resolve_back_to_their_attachments()
    {
        Messages.Sample(message =>
        {
            var attachments = new List<ReadOnlyMemory<byte>>();
            byte[] json;
            using (SocketJson.AttachmentScope.ForWriting(attachments))
            {
                json = JsonSerializer.SerializeToUtf8Bytes(message, SocketJson.Options);
            }
            Assert.Equal(2 + message.More.Length, attachments.Count);

            Message? read;
            using (SocketJson.AttachmentScope.ForReading(attachments))
            {
                read = JsonSerializer.Deserialize<Message>(json, SocketJson.Options);
            }
            AssertSame(message, read);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void Without_a_scope_binary_values_travel_as_base64()
    {
        Messages.Sample(message =>
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(message, SocketJson.Options);
            AssertSame(message, JsonSerializer.Deserialize<Message>(json, SocketJson.Options));
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void Reading_binary_from_arbitrary_json_fails_only_with_a_json_exception()
    {
        Gen.Select(JsonInput, Gen.Int[0, 3]).Sample((bytes, received) =>
        {
            var attachments = Enumerable.Range(0, received).Select(i => (ReadOnlyMemory<byte>)new byte[i]).ToList();
            using var scope = SocketJson.AttachmentScope.ForReading(attachments);
            try
            {
                JsonSerializer.Deserialize<byte[]>(bytes, SocketJson.Options);
                JsonSerializer.Deserialize<ReadOnlyMemory<byte>[]>(bytes, SocketJson.Options);
            }
            catch (JsonException)
            {
            }
        }, iter: Gens.Iterations);
    }

    private static void AssertSame(Message expected, Message? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.First, actual.First);
        Assert.Equal(expected.More, actual.More);
        Assert.Equal(expected.Last.ToArray(), actual.Last.ToArray());
    }
}
