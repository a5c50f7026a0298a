using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Switchboard.Protocols.Plain;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>
/// The plain protocol's request reader on generated and arbitrary frames, and the frame writer on what the
/// reader hands out: raw ids and data are written back unvalidated, so they must always be valid JSON.
/// </summary>
public sealed class PlainProtocolProperties
{
    private static readonly string[] Reserved = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

    private static readonly Gen<PlainRequest> Requests =
        from op in Gen.Enum<PlainOp>()
        from id in Gen.OneOf(Gen.Const(""), Gen.Long.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gens.Text(0, 12).Select(s => JsonSerializer.Serialize(s)).Where(s => s.Length <= PlainRequestReader.MaxIdLength))
        from channel in Gens.Text(1, 12)
        from since in Gen.Select(Gen.Long[0, long.MaxValue], Gens.Text(1, 10)).Nullable()
        from eventName in Gens.Text(1, 10).Where(e => Array.IndexOf(Reserved, e) < 0)
        from data in Gen.OneOf(Gen.Const(""), Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gens.Text(0, 8).Select(s => JsonSerializer.Serialize(new { s, list = new[] { 1, 2 } })))
        from limit in Gen.Int[1, int.MaxValue].Nullable()
        from echo in Gen.Bool
        select new PlainRequest(op, Encoding.UTF8.GetBytes(id), channel, since is { } s ? new PlainPosition(s.Item1, s.Item2) : null,
            eventName, Encoding.UTF8.GetBytes(data), limit, echo);

    private static readonly Gen<byte[]> FrameInput = Gens.Input(
        "{", "}", "[", "]", ",", ":", "\"op\"", "\"subscribe\"", "\"publish\"", "\"ping\"", "\"id\"", "\"channel\"", "\"since\"", "\"offset\"",
        "\"epoch\"", "\"event\"", "\"data\"", "\"limit\"", "\"echo\"", "\"a\"", "1", "-1", "1e400", "true", "null", "\"connect\"");

    [Fact]
    public void A_request_reads_back_as_written()
    {
        Requests.Sample(request =>
        {
            var frame = Write(request);
            Assert.True(PlainRequestReader.TryRead(frame, out var read, out var error), $"{error.Code} {error.Message}");
            Assert.Equal(request.Op, read.Op);
            Assert.Equal(Encoding.UTF8.GetString(request.Id.Span), Encoding.UTF8.GetString(read.Id.Span));
            Assert.Equal(request.Channel, read.Channel);
            Assert.Equal(request.Since, read.Since);
            Assert.Equal(request.Event, read.Event);
            Assert.Equal(Encoding.UTF8.GetString(request.Data.Span), Encoding.UTF8.GetString(read.Data.Span));
            Assert.Equal(request.Limit, read.Limit);
            Assert.Equal(request.Echo, read.Echo);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void The_reader_never_throws_and_its_raw_slices_write_back_as_valid_json()
    {
        FrameInput.Sample(bytes =>
        {
            var output = new ArrayBufferWriter<byte>(64);
            if (PlainRequestReader.TryRead(bytes, out var request, out var error))
            {
                PlainFrameWriter.WriteOk(output, request.Id.Span);
                AssertJson(output);
                output.ResetWrittenCount();
                PlainFrameWriter.WritePublication(output, request.Channel ?? "", 1, "e", request.Event ?? "", request.Data.Span);
                AssertJson(output);
            }
            else
            {
                Assert.NotNull(error.Message);
                PlainFrameWriter.WriteError(output, error.Id.Span, error.Code, error.Message);
                AssertJson(output);
            }
        }, iter: Gens.Iterations);
    }

    private static void AssertJson(ArrayBufferWriter<byte> output)
    {
        using var document = JsonDocument.Parse(output.WrittenMemory);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    private static byte[] Write(PlainRequest request)
    {
        var output = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            if (!request.Id.IsEmpty)
            {
                json.WritePropertyName("id");
                json.WriteRawValue(request.Id.Span);
            }
            json.WriteString("op", PlainRequestReader.Name(request.Op));
            json.WriteString("channel", request.Channel);
            if (request.Since is { } since)
            {
                json.WriteStartObject("since");
                json.WriteNumber("offset", since.Offset);
                json.WriteString("epoch", since.Epoch);
                json.WriteEndObject();
            }
            json.WriteString("event", request.Event);
            if (!request.Data.IsEmpty)
            {
                json.WritePropertyName("data");
                json.WriteRawValue(request.Data.Span);
            }
            if (request.Limit is { } limit)
            {
                json.WriteNumber("limit", limit);
            }
            json.WriteBoolean("echo", request.Echo);
            json.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }
}
