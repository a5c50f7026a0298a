using System.Threading.Channels;

namespace Switchboard.Cluster.Tests.Contract;

/// <summary>
/// The server side of a node in the contract suite: records what the bus hands it, in the order it comes,
/// and answers every request with one final reply naming this node (as a server-side emit's handler would).
/// </summary>
public sealed class RecordingSink : IClusterSink
{
    private readonly Channel<ClusterDelivery> _publications = Channel.CreateUnbounded<ClusterDelivery>();
    private readonly Channel<ClusterBroadcast> _broadcasts = Channel.CreateUnbounded<ClusterBroadcast>();
    private readonly Channel<ClusterRequest> _requests = Channel.CreateUnbounded<ClusterRequest>();
    private readonly Channel<ClusterReply> _replies = Channel.CreateUnbounded<ClusterReply>();

    public IClusterBus Bus { get; set; } = null!;

    public ValueTask OnPublicationAsync(ClusterDelivery delivery, CancellationToken cancellationToken = default) => _publications.Writer.WriteAsync(delivery, cancellationToken);

    public void OnBroadcast(ClusterBroadcast broadcast) => _broadcasts.Writer.TryWrite(broadcast);

    public void OnRequest(ClusterRequest request)
    {
        _requests.Writer.TryWrite(request);
        _ = Bus.ReplyAsync(new ClusterReply(request.Origin, request.Id, Bus.NodeId, "done", System.Text.Encoding.UTF8.GetBytes(Bus.NodeId)));
    }

    public void OnReply(ClusterReply reply) => _replies.Writer.TryWrite(reply);

    public Task<ClusterDelivery> NextPublicationAsync() => Next(_publications);

    public Task<ClusterBroadcast> NextBroadcastAsync() => Next(_broadcasts);

    public Task<ClusterRequest> NextRequestAsync() => Next(_requests);

    public Task<ClusterReply> NextReplyAsync() => Next(_replies);

    /// <summary>Nothing more has come (checked after a later message proved the earlier ones were handled).</summary>
    public bool NoMorePublications => !_publications.Reader.TryPeek(out _);

    public bool NoMoreBroadcasts => !_broadcasts.Reader.TryPeek(out _);

    public bool NoMoreRequests => !_requests.Reader.TryPeek(out _);

    private static async Task<T> Next<T>(Channel<T> channel) => await channel.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}
