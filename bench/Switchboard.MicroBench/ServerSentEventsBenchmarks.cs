using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Transports.ServerSentEvents;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;
using Switchboard.Protocols.ServerSentEvents;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.MicroBench;

/// <summary>
/// SSE fan-out without the network (S7's server side, less Kestrel and the wake-ups): a room emit
/// delivered to N SSE channel connections (real connections subscribed through the hub), then every
/// queue taken and each event written to the stream's own buffer, as each stream's writer does. Per
/// operation: one emit to N streams. <see cref="PerStreamEncoding"/> writes the events as the streams
/// did before this round (each its own cursor string and JSON), for comparison.
/// </summary>
[MemoryDiagnoser]
public class ServerSentEventsBenchmarks
{
    private SocketServer _io = null!;
    private Stream[] _streams = [];
    private readonly EmitArgs _args = [Payloads.Element];

    [Params(1000)]
    public int Recipients { get; set; }

    private sealed class Stream(HttpChannelConnection connection)
    {
        public HttpChannelConnection Connection { get; } = connection;
        public StreamPosition[] Positions { get; } = new StreamPosition[1];
        public ArrayBufferWriter<byte> Output { get; } = new(4096);
        public byte[] Id = new byte[64];
        public ArrayBufferWriter<byte> Json { get; } = new(256);
        public Utf8JsonWriter? Writer { get; set; }
    }

    [GlobalSetup]
    public void Setup()
    {
        _io = new SocketServer(new SocketServerOptions());
        var hub = _io.Main.Channels;
        _streams = new Stream[Recipients];
        for (var i = 0; i < Recipients; i++)
        {
            var connection = new HttpChannelConnection(hub, ServerSentEventsEndpoint.Protocol, ChannelGrant.All);
            connection.SubscribeAsync("room").AsTask().GetAwaiter().GetResult();
            _streams[i] = new Stream(connection);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _io.Dispose();

    [Benchmark(Baseline = true, Description = "SSE: room emit to N streams, each writes the shared event with its own id")]
    public async Task SharedEvent()
    {
        await _io.Main.To("room").EmitAsync("msg", _args);
        foreach (var stream in _streams)
        {
            stream.Output.ResetWrittenCount();
            while (stream.Connection.TryTake(out var message))
            {
                var entry = message.Entry;
                stream.Positions[0] = entry.Position;
                ServerSentEventsEndpoint.WritePublication(stream.Output, entry, stream.Positions, ref stream.Id);
            }
        }
    }

    [Benchmark(Description = "SSE: room emit to N streams, each encodes the event itself (before)")]
    public async Task PerStreamEncoding()
    {
        await _io.Main.To("room").EmitAsync("msg", _args);
        foreach (var stream in _streams)
        {
            stream.Output.ResetWrittenCount();
            while (stream.Connection.TryTake(out var message))
            {
                var entry = message.Entry;
                stream.Positions[0] = entry.Position;
                stream.Json.ResetWrittenCount();
                if (stream.Writer is null)
                {
                    stream.Writer = ChannelJson.CreateWriter(stream.Json);
                }
                else
                {
                    stream.Writer.Reset(stream.Json);
                }
                ChannelJson.WritePublication(stream.Writer, entry);
                stream.Writer.Flush();
                ServerSentEventsFormat.WriteEvent(stream.Output, ServerSentEventsEndpoint.EventName(entry.Publication.Event), ChannelCursor.Format(stream.Positions), stream.Json.WrittenSpan);
            }
        }
    }
}
