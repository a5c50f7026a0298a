using System.Text.Json;
using Switchboard.Protocols;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>
/// The arguments of an event or acknowledgement from the server, kept as the JSON it sent plus its binary
/// attachments, and read on demand: <see cref="Get{T}"/> (binary placeholders resolve to <c>byte[]</c>),
/// <see cref="this[int]"/> or <see cref="ToArray"/> for <see cref="JsonElement"/>s.
/// </summary>
public sealed class ReceivedArguments
{
    /// <summary>No argument.</summary>
    public static readonly ReceivedArguments Empty = new("[]"u8.ToArray(), 0, []);

    private readonly ReadOnlyMemory<byte> _array;
    private readonly int _skip;
    private JsonDocument? _document;

    internal ReceivedArguments(ReadOnlyMemory<byte> array, int skip, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        _array = array;
        _skip = skip;
        Attachments = attachments;
    }

    /// <summary>Binary attachments, referenced from the JSON by <c>{"_placeholder":true,"num":N}</c>.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    public int Count => Root.GetArrayLength() - _skip;

    /// <summary>The argument as a JSON element (a binary argument appears as its placeholder; read it with <c>Get&lt;byte[]&gt;</c>).</summary>
    public JsonElement this[int index] => (uint)index < (uint)Count
        ? Root[index + _skip]
        : throw new ArgumentOutOfRangeException(nameof(index), $"There are {Count} argument(s).");

    /// <summary>Every argument as a JSON element.</summary>
    public JsonElement[] ToArray()
    {
        var result = new JsonElement[Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Root[i + _skip];
        }
        return result;
    }

    /// <summary>Deserializes one argument with socket.io's JSON conventions (camelCase); <c>byte[]</c> values resolve binary attachments.</summary>
    public T? Get<T>(int index)
    {
        var element = this[index];
        using var scope = SocketJson.AttachmentScope.ForReading(Attachments);
        return element.Deserialize<T>(SocketJson.Options);
    }

    /// <summary>The last argument when it is a string (where a server with connection state recovery puts the offset).</summary>
    internal string? LastString()
    {
        var count = Count;
        return count > 0 && Root[count - 1 + _skip] is { ValueKind: JsonValueKind.String } last ? last.GetString() : null;
    }

    private JsonElement Root => (_document ??= JsonDocument.Parse(_array, JsonLimits.DocumentOptions)).RootElement;

    public override string ToString()
    {
        var items = ToArray();
        return "[" + string.Join(",", items.Select(e => e.GetRawText())) + "]";
    }

    /// <summary>Reads an event array (<c>["name", ...]</c>) or an ack array (<c>[...]</c>).</summary>
    internal static bool TryCreate(ReadOnlyMemory<byte> array, bool hasName, IReadOnlyList<ReadOnlyMemory<byte>> attachments, out string? name, out ReceivedArguments? arguments)
    {
        arguments = null;
        if (!SocketEventData.TrySplit(array.Span, hasName, out name, out _, out _))
        {
            return false;
        }
        arguments = new ReceivedArguments(array, hasName ? 1 : 0, attachments);
        return true;
    }
}
