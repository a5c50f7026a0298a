using System.IO.Pipelines;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>
/// "Un-reads" what the direct mode looked at: the connection's input, whose first read (still unadvanced)
/// is handed to the next reader as it was, so Kestrel's HTTP layer parses the request from its first byte.
/// Everything after is the inner reader's.
/// </summary>
internal sealed class ReplayingPipeReader(PipeReader inner, ReadResult pending) : PipeReader
{
    private bool _replay = true;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_replay)
        {
            _replay = false;
            return new ValueTask<ReadResult>(pending);
        }
        return inner.ReadAsync(cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_replay)
        {
            _replay = false;
            result = pending;
            return true;
        }
        return inner.TryRead(out result);
    }

    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}

/// <summary>The connection's pipes with the input replaying its first read.</summary>
internal sealed class ReplayingDuplexPipe(IDuplexPipe inner, ReadResult pending) : IDuplexPipe
{
    public PipeReader Input { get; } = new ReplayingPipeReader(inner.Input, pending);

    public PipeWriter Output => inner.Output;
}
