using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.Protocols.Plain;

namespace Switchboard.MicroBench;

/// <summary>
/// The JSON a publication is written as, once per publication: its arguments as one JSON array (the
/// JSON protocols' <c>data</c>, the store's form, spliced into the Socket.IO packet), and the channel
/// objects around that data (the HTTP API / SSE / long-poll object, the plain WebSocket <c>pub</c> frame).
/// Per operation: one publication encoded from scratch, or one object written.
/// </summary>
[MemoryDiagnoser]
public class PublicationJsonBenchmarks
{
    private static readonly string[] NoRooms = [];
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private ChannelEntry _entry;

    [GlobalSetup]
    public void Setup() => _entry = new ChannelEntry("prices", 42, "E1", New(Payloads.Element));

    private static Publication New(object? arg) => new(1, "msg", [arg], NoRooms, null, DateTimeOffset.UnixEpoch);

    private static Publication New(object? a, object? b) => new(1, "msg", [a, b], NoRooms, null, DateTimeOffset.UnixEpoch);

    [Benchmark(Description = "publication data: a JSON element")]
    public int DataElement() => New(Payloads.Element).Data.Length;

    [Benchmark(Description = "publication data: a record (serializer)")]
    public int DataObject() => New(Payloads.Object).Data.Length;

    [Benchmark(Description = "publication data: a string and 256 binary bytes")]
    public int DataBinary() => New(Payloads.Text, new byte[256]).Data.Length;

    [Benchmark(Description = "channel object: {channel,offset,epoch,event,data}")]
    public int ChannelObject()
    {
        _output.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_output, ChannelJson.WriterOptions))
        {
            ChannelJson.WritePublication(writer, _entry);
        }
        return _output.WrittenCount;
    }

    [Benchmark(Description = "plain WebSocket pub frame")]
    public int PlainPub()
    {
        _output.ResetWrittenCount();
        PlainFrameWriter.WritePublication(_output, _entry.Channel, _entry.Offset, _entry.Epoch, _entry.Publication.Event, _entry.Publication.Data.Span);
        return _output.WrittenCount;
    }
}
