using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// JSON settings for Socket.IO arguments. Output is compact and close to JavaScript's JSON.stringify
/// (no HTML escaping, camelCase members); binary values (<c>byte[]</c>, <c>ReadOnlyMemory&lt;byte&gt;</c>)
/// become <c>{"_placeholder":true,"num":N}</c> inside an <see cref="AttachmentScope"/>, and placeholders
/// are resolved back to the attachments when reading.
/// </summary>
public static class SocketJson
{
    /// <summary>The serializer options for Socket.IO payloads (JavaScript semantics for strings and numbers, binary placeholders).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NumberHandling = JsonNumberHandling.Strict,
            MaxDepth = JsonLimits.MaxDepth,
        };
        options.Converters.Add(new ByteArrayConverter());
        options.Converters.Add(new ReadOnlyMemoryConverter());
        options.Converters.Add(new JavaScriptDoubleConverter());
        options.Converters.Add(new JavaScriptSingleConverter());
        options.Converters.Add(new JavaScriptStringConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>
    /// While alive on the current thread, binary values written by the serializer become placeholders
    /// collected into the list given to <see cref="ForWriting"/>, and placeholders read resolve against the given list.
    /// </summary>
    public ref struct AttachmentScope
    {
        [ThreadStatic] private static List<ReadOnlyMemory<byte>>? t_writing;
        [ThreadStatic] private static IReadOnlyList<ReadOnlyMemory<byte>>? t_reading;

        private readonly List<ReadOnlyMemory<byte>>? _previousWriting;
        private readonly IReadOnlyList<ReadOnlyMemory<byte>>? _previousReading;

        private AttachmentScope(List<ReadOnlyMemory<byte>>? writing, IReadOnlyList<ReadOnlyMemory<byte>>? reading)
        {
            _previousWriting = t_writing;
            _previousReading = t_reading;
            t_writing = writing;
            t_reading = reading;
        }

        /// <summary>Collects the binary values written on this thread into <paramref name="collector"/> until disposed.</summary>
        public static AttachmentScope ForWriting(List<ReadOnlyMemory<byte>> collector) => new(collector, t_reading);

        /// <summary>Resolves placeholders read on this thread against <paramref name="attachments"/> until disposed.</summary>
        public static AttachmentScope ForReading(IReadOnlyList<ReadOnlyMemory<byte>> attachments) => new(t_writing, attachments);

        internal static List<ReadOnlyMemory<byte>>? Writing => t_writing;

        internal static IReadOnlyList<ReadOnlyMemory<byte>>? Reading => t_reading;

        /// <summary>Restores the thread's previous scope.</summary>
        public readonly void Dispose()
        {
            t_writing = _previousWriting;
            t_reading = _previousReading;
        }
    }

    internal static void WritePlaceholder(Utf8JsonWriter writer, ReadOnlyMemory<byte> value)
    {
        var collector = AttachmentScope.Writing;
        if (collector is null)
        {
            writer.WriteBase64StringValue(value.Span);
            return;
        }
        writer.WriteStartObject();
        writer.WriteBoolean("_placeholder"u8, true);
        writer.WriteNumber("num"u8, collector.Count);
        writer.WriteEndObject();
        collector.Add(value);
    }

    internal static ReadOnlyMemory<byte> ReadBinary(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetBytesFromBase64();
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a binary placeholder or a base64 string.");
        }
        var isPlaceholder = false;
        var num = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                throw new JsonException("Malformed binary placeholder.");
            }
            if (reader.ValueTextEquals("_placeholder"u8))
            {
                reader.Read();
                isPlaceholder = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("num"u8))
            {
                reader.Read();
                num = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : -1;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        var attachments = AttachmentScope.Reading;
        if (!isPlaceholder || attachments is null || num < 0 || num >= attachments.Count)
        {
            throw new JsonException("Binary placeholder does not name a received attachment.");
        }
        return attachments[num];
    }

    private sealed class ByteArrayConverter : JsonConverter<byte[]>
    {
        public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var memory = ReadBinary(ref reader);
            return MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : memory.ToArray();
        }

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) =>
            WritePlaceholder(writer, value);
    }

    private sealed class ReadOnlyMemoryConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ReadBinary(ref reader);

        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) =>
            WritePlaceholder(writer, value);
    }
}
