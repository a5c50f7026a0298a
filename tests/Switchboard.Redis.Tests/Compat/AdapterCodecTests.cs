using System.Buffers;
using System.Text;
using Switchboard.Redis.Compat;
using Switchboard.SocketIO;

namespace Switchboard.Redis.Tests.Compat;

/// <summary>
/// The @socket.io/redis-adapter message format (docs/redis-adapter-compat.md). The fixtures are what
/// notepack.io 3.0.1, the adapter's and the emitter's encoder, produced for the values in the comments.
/// </summary>
public sealed class AdapterCodecTests
{
    // ["emitter", {type: 2, data: ["alert", {a: 1, b: [true, null, 1.5, "x"]}, Buffer<01 02 03>], nsp: "/chat"},
    //  {rooms: ["room1", 42], flags: {volatile: true}, except: ["quiet"]}]   (the emitter's key order)
    private const string FromEmitter =
        "93a7656d697474657283a47479706502a46461746193a5616c65727482a16101a16294c3c0cb3ff8000000000000a178c403010203a36e7370a52f6368617483a5726f6f6d7392a5726f6f6d312aa5666c61677381a8766f6c6174696c65c3a665786365707491a57175696574";

    // ["switchboard~node1", {type: 2, data: ["relayed", "bytes", Buffer<09 08 07>, {nested: Buffer<06>}], nsp: "/"},
    //  {rooms: ["chat.lobby"], except: [], flags: {}}]   (the adapter's key order)
    private const string FromSwitchboard =
        "93b1737769746368626f6172647e6e6f64653183a47479706502a46461746194a772656c61796564a56279746573c40309080781a66e6573746564c40106a36e7370a12f83a5726f6f6d7391aa636861742e6c6f626279a665786365707490a5666c61677380";

    // ["abc123", {type: 2, data: ["ev", undefined, new Date("2024-01-02T03:04:05.678Z"), ArrayBuffer<07>], nsp: "/"},
    //  {rooms: [], except: [], flags: {}}]
    private const string WithDateAndUndefined =
        "93a661626331323383a47479706502a46461746194a26576c0d7ffa1a5d60065937d25c40107a36e7370a12f83a5726f6f6d7390a665786365707490a5666c61677380";

    [Fact]
    public void Reads_an_emitter_broadcast_with_binary_numeric_rooms_and_flags()
    {
        Assert.True(AdapterCodec.TryReadBroadcast(Sequence(FromEmitter), out var broadcast));
        Assert.NotNull(broadcast);
        Assert.Equal("emitter", broadcast.Uid);
        Assert.Equal("/chat", broadcast.Namespace);
        Assert.Equal("alert", broadcast.EventName);
        Assert.Equal(["room1", "42"], broadcast.Rooms);
        Assert.Equal(["quiet"], broadcast.Except);
        Assert.Equal(BroadcastFlags.Volatile, broadcast.Flags);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.IsType<byte[]>(broadcast.Arguments[1]));

        var packet = broadcast.ToPacket();
        Assert.Equal("""451-/chat,["alert",{"a":1,"b":[true,null,1.5,"x"]},{"_placeholder":true,"num":0}]""", Encoding.UTF8.GetString(packet.Text));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(packet.Attachments).ToArray());
    }

    [Fact]
    public void Reads_notepack_dates_as_iso_text_undefined_as_null_and_array_buffers_as_binary()
    {
        Assert.True(AdapterCodec.TryReadBroadcast(Sequence(WithDateAndUndefined), out var broadcast));
        var packet = broadcast!.ToPacket();
        Assert.Equal("""451-["ev",null,"2024-01-02T03:04:05.678Z",{"_placeholder":true,"num":0}]""", Encoding.UTF8.GetString(packet.Text));
        Assert.Equal(new byte[] { 7 }, Assert.Single(packet.Attachments).ToArray());
        Assert.Empty(broadcast.Rooms);
        Assert.Equal(BroadcastFlags.None, broadcast.Flags);
    }

    [Fact]
    public void Writes_a_broadcast_byte_for_byte_as_the_adapter_does()
    {
        var output = new ArrayBufferWriter<byte>();
        AdapterCodec.WriteBroadcast(
            output, "switchboard~node1", "/",
            """["relayed","bytes",{"_placeholder":true,"num":0},{"nested":{"_placeholder":true,"num":1}}]"""u8.ToArray(),
            [new byte[] { 9, 8, 7 }, new byte[] { 6 }], ["chat.lobby"], [], BroadcastFlags.None);
        Assert.Equal(FromSwitchboard, Convert.ToHexStringLower(output.WrittenSpan));
    }

    [Fact]
    public void Written_flags_and_numbers_read_back()
    {
        var output = new ArrayBufferWriter<byte>();
        AdapterCodec.WriteBroadcast(
            output, "switchboard~n", "/", """["ev",-5,1e300,12345678901,"é",{"_placeholder":true,"num":7}]"""u8.ToArray(),
            [], ["a", "b"], ["c"], BroadcastFlags.Volatile | BroadcastFlags.Compress | BroadcastFlags.Local);
        Assert.True(AdapterCodec.TryReadBroadcast(new ReadOnlySequence<byte>(output.WrittenMemory), out var broadcast));
        Assert.Equal(BroadcastFlags.Volatile | BroadcastFlags.Compress, broadcast!.Flags);
        Assert.Equal(["a", "b"], broadcast.Rooms);
        Assert.Equal(["c"], broadcast.Except);
        Assert.Equal(-5L, broadcast.Arguments[0]);
        Assert.Equal(1e300, broadcast.Arguments[1]);
        Assert.Equal(12345678901L, broadcast.Arguments[2]);
        Assert.Equal("é", broadcast.Arguments[3]);
        // A placeholder that names no attachment is an ordinary object.
        var placeholder = Assert.IsType<Dictionary<string, object?>>(broadcast.Arguments[4]);
        Assert.Equal(true, placeholder["_placeholder"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("c0")]                                   // nil
    [InlineData("92a175c0")]                             // ["u", nil]
    [InlineData("93a17583a474797065 00a46461746191a165a36e7370a12f 80")] // CONNECT packet
    [InlineData("93a17582a47479706502a46461746190 80")]  // no event name
    [InlineData("93a17582a47479706502a4646174619101 80")] // event name not a string
    [InlineData("93a175")]                               // truncated
    [InlineData("ffffffff")]
    public void Anything_else_reads_as_no_broadcast(string hex)
    {
        Assert.False(AdapterCodec.TryReadBroadcast(Sequence(hex), out var broadcast));
        Assert.Null(broadcast);
    }

    private static ReadOnlySequence<byte> Sequence(string hex) => new(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)));
}
