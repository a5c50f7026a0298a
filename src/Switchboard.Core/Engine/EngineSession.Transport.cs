namespace Switchboard.Engine;

public sealed partial class EngineSession
{
    private int _pollPending;
    private int _postPending;
    private TaskCompletionSource? _upgradeSettled;

    /// <summary>True between a WebSocket's probe (<c>2probe</c>) and the upgrade packet or its failure.</summary>
    public bool Upgrading { get; private set; }

    internal bool PollPending => Volatile.Read(ref _pollPending) != 0;

    /// <summary>Marks a poll as held; false if another one already is (a protocol violation).</summary>
    internal bool TryBeginPoll() => Interlocked.CompareExchange(ref _pollPending, 1, 0) == 0;

    internal void EndPoll() => Volatile.Write(ref _pollPending, 0);

    internal bool PostPending => Volatile.Read(ref _postPending) != 0;

    internal bool TryBeginPost() => Interlocked.CompareExchange(ref _postPending, 1, 0) == 0;

    internal void EndPost() => Volatile.Write(ref _postPending, 0);

    /// <summary>
    /// The probe succeeded: starts the upgrade and releases any held poll with a noop so the client can
    /// finish it. False when the session is not polling or another socket is already upgrading it.
    /// </summary>
    internal bool TryBeginUpgrade()
    {
        lock (StateLock)
        {
            if (Upgrading || Transport != EngineTransportKind.Polling)
            {
                return false;
            }
            Upgrading = true;
            _upgradeSettled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (PollPending)
        {
            Send(OutboundFrame.Noop);
        }
        RaiseUpgradeEvent(UpgradeStarted, "upgrading");
        return true;
    }

    /// <summary>The client sent the upgrade packet: from now on the session belongs to the WebSocket.</summary>
    internal void CompleteUpgrade()
    {
        lock (StateLock)
        {
            Transport = EngineTransportKind.WebSocket;
            Upgrading = false;
            CountUpgraded();
        }
        _upgradeSettled?.TrySetResult();
        RaiseUpgradeEvent(Upgraded, "upgrade");
    }

    /// <summary>The upgrading WebSocket went away before the upgrade packet: polling goes on.</summary>
    internal void AbortUpgrade()
    {
        lock (StateLock)
        {
            Upgrading = false;
        }
        _upgradeSettled?.TrySetResult();
    }

    /// <summary>Completes when an upgrade in progress has either completed or failed.</summary>
    internal Task UpgradeSettled => Upgrading && _upgradeSettled is { } tcs ? tcs.Task : Task.CompletedTask;
}
