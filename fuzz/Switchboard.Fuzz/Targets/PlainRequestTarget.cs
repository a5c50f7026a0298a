using System.Buffers;
using System.Text.Json;
using Switchboard.Protocols.Plain;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>
/// The plain WebSocket protocol: one client frame, then the frames the server writes from what it read.
/// The id and data are written back raw (unvalidated), so they must be valid JSON values.
/// </summary>
internal static class PlainRequestTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var output = new ArrayBufferWriter<byte>(input.Length + 128);
        if (!PlainRequestReader.TryRead(input.ToArray(), out var request, out var error))
        {
            Check(!string.IsNullOrEmpty(error.Message), "a refusal without a message");
            PlainFrameWriter.WriteError(output, error.Id.Span, error.Code, error.Message);
            CheckJson(output, "the error reply");
            return;
        }
        Check(request.Op == PlainOp.Ping || !string.IsNullOrEmpty(request.Channel), "a channel op without a channel");
        PlainFrameWriter.WriteOk(output, request.Id.Span);
        CheckJson(output, "the ok reply");
        if (request.Op == PlainOp.Publish)
        {
            output.ResetWrittenCount();
            PlainFrameWriter.WritePublication(output, request.Channel!, 1, "e", request.Event!, request.Data.Span);
            CheckJson(output, "the publication");
        }
    }

    private static void CheckJson(ArrayBufferWriter<byte> output, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(output.WrittenMemory);
        }
        catch (JsonException ex)
        {
            throw new FuzzCheckException($"{what} is not valid JSON: {ex.Message}");
        }
    }
}
