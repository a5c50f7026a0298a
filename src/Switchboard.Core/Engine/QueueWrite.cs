namespace Switchboard.Engine;

/// <summary>What a write to an <see cref="OutboundQueue{T}"/> came to.</summary>
internal enum QueueWrite
{
    /// <summary>Queued, or sent directly.</summary>
    Written,

    /// <summary>The queue is completed: nothing more is taken.</summary>
    Completed,

    /// <summary>The item would take the queue past its byte budget; nothing was queued.</summary>
    OverBudget,
}
