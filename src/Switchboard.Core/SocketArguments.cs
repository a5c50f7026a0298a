using System.Text.Json;
using Switchboard.Protocols;
using Switchboard.Protocols.SocketIO;

namespace Switchboard;

/// <summary>
/// The arguments of an incoming event or acknowledgement, kept as the raw JSON the client sent (plus
/// its binary attachments) and read on demand. Passing a <see cref="SocketArguments"/> to an emit
/// forwards every argument byte for byte.
/// </summary>
public sealed class SocketArguments : IForwardedArguments
{
    /// <summary>No argument.</summary>
    public static readonly SocketArguments Empty = new("[]"u8.ToArray(), 0, 0, 0, []);

    private readonly ReadOnlyMemory<byte> _array;
    private readonly int _skip;
    private JsonDocument? _document;

    internal SocketArguments(ReadOnlyMemory<byte> array, int skip, int rawStart, int rawEnd, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        _array = array;
        _skip = skip;
        Raw = array[rawStart..rawEnd];
        Attachments = attachments;
    }

    /// <summary>The raw JSON text of the arguments, comma-separated, without the surrounding brackets.</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    /// <summary>Binary attachments, referenced from the JSON by <c>{"_placeholder":true,"num":N}</c>.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    /// <summary>How many arguments.</summary>
    public int Count => Root.GetArrayLength() - _skip;

    /// <summary>The argument as a JSON element (binary arguments appear as their placeholder).</summary>
    public JsonElement this[int index] => Root[index + _skip];

    /// <summary>Deserializes one argument; <c>byte[]</c> members resolve binary placeholders.</summary>
    public T? Get<T>(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"The event has {Count} argument(s).");
        }
        using var scope = SocketJson.AttachmentScope.ForReading(Attachments);
        return this[index].Deserialize<T>(SocketJson.Options);
    }

    /// <summary>Like <see cref="Get{T}"/>, but returns <paramref name="fallback"/> when the argument is missing or of another shape.</summary>
    public T? GetOrDefault<T>(int index, T? fallback = default)
    {
        if ((uint)index >= (uint)Count)
        {
            return fallback;
        }
        try
        {
            return Get<T>(index);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            return fallback;
        }
    }

    private JsonElement Root => (_document ??= JsonDocument.Parse(_array, JsonLimits.DocumentOptions)).RootElement;

    /// <summary>The arguments as JSON, for logs.</summary>
    public override string ToString() => "[" + System.Text.Encoding.UTF8.GetString(Raw.Span) + "]";

    /// <summary>Reads the arguments of an event array (<c>["name", ...]</c>) or an ack array (<c>[...]</c>).</summary>
    internal static bool TryCreate(ReadOnlyMemory<byte> array, bool hasName, IReadOnlyList<ReadOnlyMemory<byte>> attachments, out string? name, out SocketArguments? arguments)
    {
        arguments = null;
        if (!SocketEventData.TrySplit(array.Span, hasName, out name, out var start, out var end))
        {
            return false;
        }
        arguments = new SocketArguments(array, hasName ? 1 : 0, start, end, attachments);
        return true;
    }
}
