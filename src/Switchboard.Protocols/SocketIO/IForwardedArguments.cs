using System.Text.Json;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Arguments received as Socket.IO JSON (and their binary attachments) that an emit forwards as they
/// came: <see cref="SocketPacketEncoder"/> splices <see cref="Raw"/> into the packet instead of
/// serializing the object.
/// </summary>
public interface IForwardedArguments
{
    /// <summary>The arguments' JSON text as received: the values of the array, comma-separated, without brackets.</summary>
    ReadOnlyMemory<byte> Raw { get; }

    /// <summary>The binary attachments the arguments' placeholders point at, in order.</summary>
    IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    /// <summary>How many arguments.</summary>
    int Count { get; }

    /// <summary>The argument at <paramref name="index"/>.</summary>
    JsonElement this[int index] { get; }
}
