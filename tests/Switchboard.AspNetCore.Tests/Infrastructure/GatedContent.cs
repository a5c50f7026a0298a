using System.Net;
using System.Text;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>A chunked request body that sends its first part at once and the rest when the test says so.</summary>
public sealed class GatedContent(string first, string rest) : HttpContent
{
    private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Finish() => _finish.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(first));
        await stream.FlushAsync();
        await _finish.Task.WaitAsync(Timeouts.Default);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(rest));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
