using MessagePack;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Converts Socket.IO values between the server's canonical form, JSON whose binary values are
/// <c>{"_placeholder":true,"num":N}</c> naming an attachment, and MessagePack as socket.io-msgpack-parser
/// (notepack.io) writes and reads it, where binary values are inline <c>bin</c>. The mapping, its
/// choices and what it does not carry are in docs/parsers.md.
/// </summary>
public static partial class MsgPackJson
{
    /// <summary>The most binary values one packet may carry, as for the JSON parser's attachments.</summary>
    public const int MaxAttachments = 1000;

    // notepack.io 2.x: ext type 0 in a fixext 1 is `undefined`, in a fixext 8 a Date (milliseconds), in
    // ext 8/16/32 an ArrayBuffer. Type -1 is the MessagePack timestamp (notepack.io 3.x writes Dates so).
    private const sbyte NotepackType = 0;
    private const sbyte TimestampType = -1;

    /// <summary>
    /// Consumes notepack.io 2.x's <c>undefined</c> (fixext 1 of type 0) if it is next; true when it was.
    /// </summary>
    public static bool TrySkipUndefined(ref MessagePackReader reader)
    {
        if (reader.End || reader.NextCode != MessagePackCode.FixExt1)
        {
            return false;
        }
        var peek = reader.CreatePeekReader();
        if (peek.ReadExtensionFormatHeader().TypeCode != NotepackType)
        {
            return false;
        }
        reader.ReadExtensionFormatHeader();
        reader.ReadRaw(1);
        return true;
    }

    /// <summary>
    /// Skips one value without recursion (a claimed count costs nothing until its items are read, and
    /// every item read consumes input), so hostile nesting can neither overflow the stack nor run long.
    /// </summary>
    public static void Skip(ref MessagePackReader reader)
    {
        long remaining = 1;
        while (remaining-- > 0)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    remaining += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    remaining += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }
}
