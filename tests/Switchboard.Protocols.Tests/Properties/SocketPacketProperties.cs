using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>Round trips of the Socket.IO packet header writer and reader, and the reader on arbitrary input.</summary>
public sealed class SocketPacketProperties
{
    private static readonly string[] Reserved = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

    private static readonly Gen<string> Namespace =
        Gen.Frequency((1, Gen.Const("/")), (3, Gens.Text(1, 12).Select(s => "/" + s.Replace(",", ""))));

    // The reader takes at most 15 digits of ack id; the server's own ids count up from 0.
    private static readonly Gen<long> AckId = Gen.Frequency((1, Gen.Const(SocketPacket.NoAck)), (3, Gen.Long[0, 999_999_999_999_999]));

    private static readonly Gen<object?> Argument = Gen.OneOf<object?>(
        Gen.Int.Select(i => (object?)i), Gens.Text(0, 8).Select(s => (object?)s), Gen.Bool.Select(b => (object?)b), Gen.Bool.Select(_ => (object?)null));

    private static readonly Gen<string> EventName = Gens.Text(0, 10).Where(name => Array.IndexOf(Reserved, name) < 0);

    /// <summary>A packet with data of the shape its type requires.</summary>
    private static readonly Gen<SocketPacket> Packet =
        from type in Gen.Enum<SocketPacketType>()
        from nsp in Namespace
        from ackId in AckId
        from attachments in Gen.Int[0, 1000]
        from name in EventName
        from args in Argument.Array[0, 4]
        from error in Gens.Text(0, 8)
        select new SocketPacket(
            type,
            nsp,
            type is SocketPacketType.Disconnect ? SocketPacket.NoAck : ackId,
            type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck ? attachments : 0,
            type switch
            {
                SocketPacketType.Connect => args.Length == 0 ? [] : Json(new { token = error }),
                SocketPacketType.Disconnect => [],
                SocketPacketType.ConnectError => args.Length % 2 == 0 ? Json(error) : Json(new { message = error }),
                SocketPacketType.Ack or SocketPacketType.BinaryAck => Json(args),
                _ => Json((object?[])[name, .. args]),
            });

    private static readonly Gen<byte[]> PacketInput = Gens.Input(
        "0", "1", "2", "3", "4", "5", "6", "1-", "/", "/admin,", ",", "12", "[", "]", "{", "}", ":", "\"ev\"", "\"connect\"", "null", "1.5e3", "[\"ev\",1]");

    [Fact]
    public void A_packet_reads_back_as_written()
    {
        Packet.Sample(packet =>
        {
            Assert.True(SocketPacketReader.TryParse(Write(packet), out var parsed, out var error), error);
            AssertSame(packet, parsed);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void An_event_splits_into_its_name_and_the_raw_text_of_its_arguments()
    {
        Gen.Select(EventName, Argument.Array[0, 4]).Sample((name, args) =>
        {
            var json = Json((object?[])[name, .. args]);
            Assert.True(SocketEventData.TrySplit(json, hasName: true, out var splitName, out var start, out var end));
            Assert.Equal(name, splitName);
            byte[] rebuilt = [(byte)'[', .. json[start..end], (byte)']'];
            Assert.Equal(Json(args), rebuilt);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void The_reader_never_throws_and_what_it_takes_reads_the_same_once_written_again()
    {
        PacketInput.Sample(bytes =>
        {
            if (!SocketPacketReader.TryParse(bytes, out var packet, out var error))
            {
                Assert.NotNull(error);
                return;
            }
            Assert.True(SocketPacketReader.TryParse(Write(packet), out var again, out error), error);
            AssertSame(packet, again);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void Splitting_never_throws()
    {
        PacketInput.Sample(bytes =>
        {
            SocketEventData.TrySplit(bytes, hasName: true, out _, out var start, out var end);
            Assert.InRange(start, 0, bytes.Length);
            Assert.InRange(end, 0, bytes.Length);
            SocketEventData.TrySplit(bytes, hasName: false, out _, out _, out _);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void An_event_name_of_any_bytes_is_split_or_refused_never_thrown()
    {
        // JSON-legal bytes inside the name's quotes, UTF-8 or not: the reader checks JSON, not UTF-8.
        Gen.Byte.Array[0, 8].Select(b => b.Where(x => x is >= 0x20 and not (byte)'"' and not (byte)'\\').ToArray()).Sample(name =>
        {
            byte[] text = [.. "2[\""u8, .. name, .. "\",1]"u8];
            if (SocketPacketReader.TryParse(text, out var packet, out _))
            {
                SocketEventData.TrySplit(packet.Data.Span, hasName: true, out _, out _, out _);
            }
        }, iter: Gens.Iterations);
    }

    private static byte[] Json<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, SocketJson.Options);

    private static byte[] Write(SocketPacket packet)
    {
        var output = new ArrayBufferWriter<byte>(8);
        SocketPacketWriter.WriteHeader(output, packet.Type, packet.Namespace, packet.AckId, packet.AttachmentCount);
        output.Write(packet.Data.Span);
        return output.WrittenSpan.ToArray();
    }

    private static void AssertSame(SocketPacket expected, SocketPacket actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.AckId, actual.AckId);
        Assert.Equal(expected.AttachmentCount, actual.AttachmentCount);
        Assert.Equal(Encoding.UTF8.GetString(expected.Data.Span), Encoding.UTF8.GetString(actual.Data.Span));
    }
}
