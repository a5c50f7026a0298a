using System.Collections;
using System.Runtime.CompilerServices;

namespace Switchboard.Client;

/// <summary>
/// The arguments of an emit or an acknowledgement, as JavaScript's <c>socket.emit(name, ...args)</c> sees
/// them; the same shape as the server's <c>Switchboard.SocketIO.EmitArgs</c> (docs/decisions/0006): every
/// value written after the event name is one argument (an array or <c>null</c> is one argument), and a
/// collection is spread only when said so with a collection expression, <c>Emit("e", [.. items])</c>.
/// <c>byte[]</c> and <c>ReadOnlyMemory&lt;byte&gt;</c> values, at any depth, travel as binary attachments.
/// </summary>
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

    public int Count => _values?.Length ?? 0;

    public object? this[int index] => (_values ?? [])[index];

    public ReadOnlySpan<object?> AsSpan() => _values;

    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)(_values ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
