using System.Buffers;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.Protocols.Tests.WebSockets;

public class WebSocketFrameHeaderTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65535, 4)]
    [InlineData(65536, 10)]
    [InlineData(int.MaxValue + 1L, 10)]
    public void Write_then_read_round_trips_every_length_form(long length, int headerLength)
    {
        var buffer = new byte[WebSocketFrameHeader.MaxLength];
        var written = WebSocketFrameHeader.Write(buffer, WebSocketOpcode.Binary, length, fin: true, mask: 0x04030201);
        Assert.Equal(headerLength + 4, written);
        Assert.Equal(headerLength, WebSocketFrameHeader.SizeOf(length));
        Assert.True(WebSocketFrameHeader.TryRead(buffer.AsSpan(0, written), out var header));
        Assert.True(header.Fin);
        Assert.Equal(WebSocketOpcode.Binary, header.Opcode);
        Assert.True(header.Masked);
        Assert.Equal(0x04030201u, header.Mask);
        Assert.Equal(length, header.PayloadLength);
        Assert.Equal(written, header.Length);
        Assert.Null(header.Check(inMessage: false));
    }

    [Fact]
    public void Rfc_example_unmasked_hello_is_read()
    {
        // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
        byte[] frame = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        Assert.True(WebSocketFrameHeader.TryRead(frame, out var header));
        Assert.Equal(WebSocketOpcode.Text, header.Opcode);
        Assert.False(header.Masked);
        Assert.Equal(5, header.PayloadLength);
        Assert.Equal("unmasked client frame", header.Check(inMessage: false));
        Assert.Null(header.Check(inMessage: false, requireMask: false));
    }

    [Fact]
    public void Rfc_example_masked_hello_unmasks()
    {
        // RFC 6455 §5.7: a single-frame masked text message "Hello".
        byte[] frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        Assert.True(WebSocketFrameHeader.TryRead(frame, out var header));
        var payload = frame.AsSpan(header.Length).ToArray();
        WebSocketMask.Apply(payload, header.Mask, 0);
        Assert.Equal("Hello"u8.ToArray(), payload);
    }

    [Fact]
    public void Partial_header_is_not_read()
    {
        byte[] frame = [0x82, 0xFE, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04];
        for (var i = 0; i < frame.Length; i++)
        {
            Assert.False(WebSocketFrameHeader.TryRead(frame.AsSpan(0, i), out _));
        }
        Assert.True(WebSocketFrameHeader.TryRead(frame, out var header));
        Assert.Equal(256, header.PayloadLength);
    }

    [Fact]
    public void Header_split_over_segments_is_read()
    {
        var first = new Segment(new byte[] { 0x82, 0xFF, 0, 0 });
        var last = first.Append(new byte[] { 0, 0, 0, 1, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD });
        Assert.True(WebSocketFrameHeader.TryRead(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), out var header));
        Assert.Equal(65536, header.PayloadLength);
        Assert.Equal(14, header.Length);
    }

    [Theory]
    [InlineData(new byte[] { 0xC1, 0x80, 1, 2, 3, 4 }, false, "reserved bits set")]
    [InlineData(new byte[] { 0x83, 0x80, 1, 2, 3, 4 }, false, "reserved opcode")]
    [InlineData(new byte[] { 0x8B, 0x80, 1, 2, 3, 4 }, false, "reserved opcode")]
    [InlineData(new byte[] { 0x81, 0x00 }, false, "unmasked client frame")]
    [InlineData(new byte[] { 0x09, 0x80, 1, 2, 3, 4 }, false, "fragmented control frame")]
    [InlineData(new byte[] { 0x89, 0xFE, 0, 126, 1, 2, 3, 4 }, false, "control frame payload over 125 bytes")]
    [InlineData(new byte[] { 0x80, 0x80, 1, 2, 3, 4 }, false, "continuation frame outside a message")]
    [InlineData(new byte[] { 0x81, 0x80, 1, 2, 3, 4 }, true, "new message inside a fragmented one")]
    [InlineData(new byte[] { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }, false, "payload length with its most significant bit set")]
    public void Client_frames_that_break_the_rules_are_named(byte[] frame, bool inMessage, string violation)
    {
        Assert.True(WebSocketFrameHeader.TryRead(frame, out var header));
        Assert.Equal(violation, header.Check(inMessage));
    }

    [Fact]
    public void Control_frames_interleave_with_a_fragmented_message()
    {
        Assert.True(WebSocketFrameHeader.TryRead(new byte[] { 0x89, 0x80, 1, 2, 3, 4 }, out var ping));
        Assert.Null(ping.Check(inMessage: true));
        Assert.True(WebSocketFrameHeader.TryRead(new byte[] { 0x80, 0x80, 1, 2, 3, 4 }, out var continuation));
        Assert.Null(continuation.Check(inMessage: true));
    }

    [Fact]
    public void WriteFrame_writes_header_and_payload()
    {
        var writer = new ArrayBufferWriter<byte>();
        WebSocketFrameHeader.WriteFrame(writer, WebSocketOpcode.Text, "Hello"u8);
        Assert.Equal(new byte[] { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, writer.WrittenSpan.ToArray());
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
