namespace Switchboard.Protocols.EngineIO;

/// <summary>
/// One Engine.IO packet. <see cref="Data"/> is the payload after the type digit for text packets, or
/// the raw bytes of a binary message (whose type is always <see cref="EnginePacketType.Message"/>).
/// </summary>
public readonly record struct EnginePacket(EnginePacketType Type, ReadOnlyMemory<byte> Data, bool IsBinary = false)
{
    /// <summary>A text packet of the given type, with optional UTF-8 data.</summary>
    public static EnginePacket Text(EnginePacketType type, ReadOnlyMemory<byte> data = default) => new(type, data);

    /// <summary>A binary MESSAGE packet.</summary>
    public static EnginePacket Binary(ReadOnlyMemory<byte> data) => new(EnginePacketType.Message, data, true);
}
