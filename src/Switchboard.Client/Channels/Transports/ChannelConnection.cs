using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.Client.Channels.Transports;

/// <summary>
/// One connection over one transport. <see cref="OpenAsync"/> returns once the server has accepted it
/// (throws a <see cref="ChannelClientException"/> whose <c>Fallback</c> says whether the next transport may
/// do better); <see cref="RunAsync"/> moves frames until the connection drops and says why;
/// <see cref="ChannelsChanged"/> follows a change of the client's channel set.
/// </summary>
internal abstract class ChannelConnection(ChannelClient client) : IAsyncDisposable
{
    protected ChannelClient Client { get; } = client;

    public abstract ChannelTransport Kind { get; }

    public string? ConnectionId { get; protected set; }

    public abstract Task OpenAsync(CancellationToken cancellationToken);

    public abstract Task<ConnectionEnd> RunAsync(CancellationToken cancellationToken);

    public abstract void ChannelsChanged();

    public abstract ValueTask DisposeAsync();

    /// <summary>Where a stream over these channels starts: no cursor when all are new, else the cursor of every channel, after learning the positions of the new ones.</summary>
    protected async Task<string?> StreamStartAsync(string[] channels, Func<string[], CancellationToken, Task<ChannelPosition[]>> probe, CancellationToken cancellationToken)
    {
        var unknown = channels.Where(c => Client.GetPosition(c) is null).ToArray();
        if (unknown.Length == channels.Length)
        {
            return null;
        }
        if (unknown.Length > 0)
        {
            var positions = await probe(unknown, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < unknown.Length; i++)
            {
                Client.Confirmed(unknown[i], positions[i], always: false);
            }
        }
        var known = new StreamPosition[channels.Length];
        for (var i = 0; i < channels.Length; i++)
        {
            var (offset, epoch) = Client.GetPosition(channels[i])
                ?? throw new ChannelClientException("bad_response", $"{HttpRefusal.Name(Kind)}: no position learnt for '{channels[i]}'", Kind);
            known[i] = new StreamPosition(offset, epoch);
        }
        return ChannelCursor.Format(known);
    }
}

/// <summary>Why a connection ended.</summary>
internal sealed record ConnectionEnd(string Code, string? Reason, bool Reconnect, ChannelClientException? Error = null);
