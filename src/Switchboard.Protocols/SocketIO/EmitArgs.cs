using System.Collections;
using System.Runtime.CompilerServices;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// The arguments of an emit or an acknowledgement, as JavaScript's <c>socket.emit(name, ...args)</c>
/// sees them, on the server and in the client alike (docs/decisions/0006): every value written after
/// the event name is one argument, whatever its type. An array, a list or <c>null</c> is one argument
/// (<c>Emit("e", new[] { "a", "b" })</c> sends one array, as Node does; <c>Emit("e", null)</c> sends one
/// <c>null</c>). To spread a collection into several arguments, say so with a collection expression:
/// <c>Emit("e", [.. items])</c>. <c>byte[]</c> and <c>ReadOnlyMemory&lt;byte&gt;</c> values, at any depth,
/// travel as binary attachments.
/// </summary>
/// <remarks>
/// Only a collection expression or another <see cref="EmitArgs"/> converts to this type, so no value
/// passed the ordinary way can be spread by accident. Arguments received from a peer
/// (an <see cref="IForwardedArguments"/>) are one value that is written as the list it holds, so
/// <c>Emit("e", e.Args)</c> forwards what was sent, byte for byte.
/// </remarks>
[CollectionBuilder(typeof(EmitArgs), nameof(Create))]
public readonly struct EmitArgs : IEnumerable<object?>
{
    private readonly object?[]? _values;

    private EmitArgs(object?[] values) => _values = values;

    /// <summary>No argument.</summary>
    public static EmitArgs None => default;

    /// <summary>Builds the arguments from a collection expression or a <c>params</c> call.</summary>
    public static EmitArgs Create(ReadOnlySpan<object?> values) => values.IsEmpty ? default : new(values.ToArray());

    /// <summary>Each item of <paramref name="values"/> as its own argument (JavaScript's <c>...values</c>).</summary>
    public static EmitArgs Spread(IEnumerable<object?> values) => new([.. values]);

    /// <summary>How many arguments.</summary>
    public int Count => _values?.Length ?? 0;

    /// <summary>The argument at <paramref name="index"/>.</summary>
    public object? this[int index] => (_values ?? [])[index];

    /// <summary>The arguments as a span.</summary>
    public ReadOnlySpan<object?> AsSpan() => _values;

    /// <summary>The arguments as an array (the same array each time: do not change it).</summary>
    internal object?[] Values => _values ?? [];

    /// <summary>Enumerates the arguments.</summary>
    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)Values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
