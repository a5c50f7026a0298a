using System.Threading.Channels;

namespace Switchboard.Client.Channels;

/// <summary>
/// One channel of a <see cref="ChannelClient"/>: an <see cref="IAsyncEnumerable{T}"/> of the channel's
/// publications and discontinuities, each once and in order, across reconnects and transports. Items are
/// kept from the moment of <see cref="ChannelClient.Subscribe"/>, so nothing is missed before the loop
/// starts. It can be enumerated once; leaving the loop (or disposing) unsubscribes. When the client closes
/// with an error (or the server refuses this subscription) the loop throws that <see cref="ChannelClientException"/>.
/// </summary>
public sealed class ChannelSubscription : IAsyncEnumerable<ChannelItem>, IAsyncDisposable
{
    private readonly ChannelClient _client;
    private readonly Channel<ChannelItem> _items;
    private readonly TaskCompletionSource<ChannelPosition> _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _enumerated;

    internal ChannelSubscription(ChannelClient client, string channel, int capacity)
    {
        _client = client;
        Channel = channel;
        _items = System.Threading.Channels.Channel.CreateBounded<ChannelItem>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // A refusal nobody awaits is not an unobserved exception: the loop throws it too.
        _subscribed.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>The channel.</summary>
    public string Channel { get; }

    /// <summary>The channel's last position delivered, or confirmed by the server: where a later <see cref="ChannelClient.Subscribe"/> can resume from.</summary>
    public ChannelPosition? Position => _client.GetPosition(Channel);

    /// <summary>
    /// Completes with the channel's position once the server has first accepted the subscription; faults with
    /// the refusal when the server refuses it. The WebSocket's reply comes after a resume's replay, so its
    /// position includes it; SSE's <c>subscribed</c> event comes before, with the position resumed from.
    /// </summary>
    public Task<ChannelPosition> Subscribed => _subscribed.Task;

    /// <inheritdoc/>
    public async IAsyncEnumerator<ChannelItem> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A subscription can be enumerated once; subscribe again for another reader.");
        }
        try
        {
            await foreach (var item in _items.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            _client.Release(this);
        }
    }

    /// <summary>Unsubscribes: the channel is left when no other subscription of the client holds it.</summary>
    public ValueTask DisposeAsync()
    {
        _client.Release(this);
        return ValueTask.CompletedTask;
    }

    internal async ValueTask PushAsync(ChannelItem item, CancellationToken cancellationToken)
    {
        try
        {
            await _items.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Unsubscribed meanwhile.
        }
    }

    internal void Confirm(ChannelPosition position) => _subscribed.TrySetResult(position);

    internal void End(Exception? error)
    {
        _items.Writer.TryComplete(error);
        if (error is null)
        {
            _subscribed.TrySetCanceled();
        }
        else
        {
            _subscribed.TrySetException(error);
        }
    }
}
