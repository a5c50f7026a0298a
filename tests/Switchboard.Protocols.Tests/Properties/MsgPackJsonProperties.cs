using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using MessagePack;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>The msgpack parser's transcoding: JSON with placeholders to MessagePack and back, and hostile input.</summary>
public sealed class MsgPackJsonProperties
{
    private static readonly Gen<JsonNode?> Leaf = Gen.OneOf(
        Gen.Const((JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Int[-1000, 1000].Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Double.Where(double.IsFinite).Select(d => (JsonNode?)JsonValue.Create(d)),
        Gens.Text(0, 12).Select(s => (JsonNode?)JsonValue.Create(s)),
        // A binary value: replaced by a placeholder when the tree is written (see Write).
        Gen.Byte.Array[0, 8].Select(b => (JsonNode?)new JsonObject { ["$bin"] = Convert.ToBase64String(b) }));

    private static Gen<JsonNode?> Value(int depth) => depth == 0
        ? Leaf
        : Gen.Frequency(
            (4, Leaf),
            (1, Value(depth - 1).Array[0, 4].Select(items => (JsonNode?)new JsonArray(items))),
            (1, Gen.Select(Gens.Text(0, 6), Value(depth - 1)).Array[0, 4].Select(members =>
                (JsonNode?)new JsonObject(members.DistinctBy(m => m.Item1).Select(m => KeyValuePair.Create(m.Item1, m.Item2))))));

    /// <summary>The tree as the server's JSON, its binary values as placeholders numbered in document order.</summary>
    private static (byte[] Json, List<ReadOnlyMemory<byte>> Attachments) Write(JsonNode? tree)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var copy = Replace(tree?.DeepClone(), attachments);
        return (Encoding.UTF8.GetBytes(copy?.ToJsonString() ?? "null"), attachments);
    }

    private static JsonNode? Replace(JsonNode? node, List<ReadOnlyMemory<byte>> attachments)
    {
        switch (node)
        {
            case JsonObject obj when obj["$bin"] is JsonValue bin:
                attachments.Add(Convert.FromBase64String(bin.GetValue<string>()));
                return new JsonObject { ["_placeholder"] = true, ["num"] = attachments.Count - 1 };
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = Replace(obj[key]?.DeepClone(), attachments);
                }
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Replace(array[i]?.DeepClone(), attachments);
                }
                return array;
            default:
                return node;
        }
    }

    [Fact]
    public void Json_to_msgpack_to_json_keeps_every_value_and_binary_attachment()
    {
        Value(4).Sample(tree =>
        {
            var (json, attachments) = Write(tree);
            using var original = JsonDocument.Parse(json);

            var packed = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(packed);
            MsgPackJson.WriteValue(ref writer, original.RootElement, attachments);
            writer.Flush();

            var reader = new MessagePackReader(packed.WrittenMemory);
            var back = new ArrayBufferWriter<byte>();
            var read = new List<ReadOnlyMemory<byte>>();
            using (var jsonWriter = new Utf8JsonWriter(back))
            {
                MsgPackJson.ReadValue(ref reader, jsonWriter, read, depth: 0);
            }
            Assert.True(reader.End);

            using var roundTripped = JsonDocument.Parse(back.WrittenMemory);
            Assert.True(JsonElement.DeepEquals(original.RootElement, roundTripped.RootElement),
                $"{Encoding.UTF8.GetString(json)} came back as {Encoding.UTF8.GetString(back.WrittenSpan)}");
            Assert.Equal(attachments.Select(a => a.ToArray()), read.Select(a => a.ToArray()));
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void Packets_written_for_msgpack_clients_read_back_as_the_same_packet()
    {
        var packets = Gen.Select(Gen.OneOf(Gen.Const(SocketPacketType.Event), Gen.Const(SocketPacketType.Ack)), Gen.OneOf(Gen.Const("/"), Gens.Text(1, 6).Select(s => "/" + s)),
            Gen.Long[-1, 999_999_999_999_999], Value(3).Array[0, 4]);
        packets.Sample((type, nsp, ackId, args) =>
        {
            var (json, attachments) = Write(new JsonArray([JsonValue.Create("e"), .. args]));
            var packed = new ArrayBufferWriter<byte>();
            MsgPackPacketWriter.Write(packed, type, nsp, ackId, json, attachments);

            Assert.True(MsgPackPacketReader.TryRead(packed.WrittenMemory, out var packet, out var read, out var error), error);
            Assert.Equal((type, nsp, ackId), (packet.Type, packet.Namespace, packet.AckId));
            using var original = JsonDocument.Parse(json);
            using var back = JsonDocument.Parse(packet.Data);
            Assert.True(JsonElement.DeepEquals(original.RootElement, back.RootElement));
            Assert.Equal(attachments.Select(a => a.ToArray()), read.Select(a => a.ToArray()));
        }, iter: Gens.Iterations);
    }

    private static readonly byte[][] Fixtures =
    [
        Convert.FromHexString("83a47479706500a36e7370a12fa464617461d40000"),
        Convert.FromHexString("85a47479706502a4646174619aa568656c6c6f01ffcb3ff8000000000000cd012ccf0000010000000000c0c381a161920181a162a163c403010203a76f7074696f6e7381a8636f6d7072657373c3a36e7370a12fa2696407"),
        Convert.FromHexString("83a47479706502a46461746194a26162c702000506d4000082a175d40000a164d7000000018cc820db2ea36e7370a12f"),
        Convert.FromHexString("83a47479706502a36e7370a12fa46461746195a174d6ff000000018101a36f6e65ca3f000000a1ff"),
    ];

    /// <summary>Real packets with a few bytes flipped, inserted or cut off: most reach the inner branches.</summary>
    private static readonly Gen<byte[]> Mutated = Gen.Select(Gen.Int[0, Fixtures.Length - 1], Gen.Select(Gen.Int[0, 2], Gen.Int[0, 200], Gen.Byte).Array[1, 4]).Select((index, edits) =>
    {
        var bytes = Fixtures[index].ToList();
        foreach (var (kind, at, value) in edits)
        {
            var position = at % (bytes.Count + 1);
            switch (kind)
            {
                case 0 when position < bytes.Count: bytes[position] = value; break;
                case 1: bytes.Insert(position, value); break;
                default: bytes.RemoveRange(position, bytes.Count - position); break;
            }
        }
        return bytes.ToArray();
    });

    [Fact]
    public void Any_input_is_read_or_refused_and_what_is_read_is_valid_json_within_the_limits()
    {
        Gen.Frequency((1, Gens.Bytes), (4, Mutated)).Sample(bytes =>
        {
            if (!MsgPackPacketReader.TryRead(bytes, out var packet, out var attachments, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
                return;
            }
            Assert.InRange((int)packet.Type, 0, 4);
            Assert.InRange(attachments.Length, 0, MsgPackJson.MaxAttachments);
            if (!packet.Data.IsEmpty)
            {
                using var document = JsonDocument.Parse(packet.Data, JsonLimits.DocumentOptions);
            }
        }, iter: Gens.Iterations * 5);
    }
}
