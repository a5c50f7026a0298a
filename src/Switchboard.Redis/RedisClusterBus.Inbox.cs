using System.Threading.Channels;
using StackExchange.Redis;
using Switchboard.Cluster;

namespace Switchboard.Redis;

public sealed partial class RedisClusterBus
{
    /// <summary>
    /// Reads the inbox in order and hands each message to the server before the next: the order Redis
    /// published them in is the order of the namespace's sequence numbers.
    /// </summary>
    private async Task RunInboxAsync()
    {
        ChannelMessageQueue? queue = null;
        var joined = false;
        for (var attempt = 1; !joined; attempt++)
        {
            try
            {
                queue ??= await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_inboxPrefix + NodeId)).ConfigureAwait(false);
                await EnsureGenerationAsync().ConfigureAwait(false);
                await HeartbeatAsync().ConfigureAwait(false);
                joined = true;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis is not there yet: keep serving local clients and try again, backing off, or at
                // once when the connection comes up.
                var wait = StartBackoff(attempt);
                Log.StartFailed(_log, NodeId, attempt, RedisFailure.Describe(ex, _redis), wait.TotalSeconds);
                if (!await WaitForRetryAsync(wait).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        _ready.TrySetResult();
        Log.Started(_log, NodeId);
        WatchPrimary();
        while (!_stopping.IsCancellationRequested)
        {
            StackExchange.Redis.ChannelMessage message;
            try
            {
                message = await queue!.ReadAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                return;
            }
            try
            {
                switch (ClusterMessage.Parse((byte[])message.Message!, NodeId))
                {
                    case ClusterDelivery delivery:
                        await _sink!.OnPublicationAsync(delivery).ConfigureAwait(false);
                        break;
                    case ClusterBroadcast broadcast:
                        _sink!.OnBroadcast(broadcast);
                        break;
                    case ClusterRequest request:
                        _sink!.OnRequest(request);
                        break;
                    case ClusterReply reply:
                        _sink!.OnReply(reply);
                        break;
                }
            }
            catch (Exception ex)
            {
                Log.BadMessage(_log, NodeId, ex);
            }
        }
    }

    /// <summary>
    /// Whether Redis itself has the inbox's subscription again. The client re-subscribes by itself after
    /// a reconnect, a moment after the connection is back (<c>IsConnected</c> is already true then), and
    /// a publication sent meanwhile reaches nobody: wait until the server counts the subscriber (PUBSUB
    /// NUMSUB), for up to about 2 s.
    /// </summary>
    private async Task<bool> InboxSubscribedAsync()
    {
        var inbox = _inboxPrefix + NodeId;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (!_redis.GetSubscriber().IsConnected(RedisChannel.Literal(inbox)))
            {
                return false;
            }
            var counts = (RedisResult[]?)await _database.ExecuteAsync("PUBSUB", "NUMSUB", inbox).ConfigureAwait(false);
            if (counts is { Length: 2 } && (long)counts[1] > 0)
            {
                return true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
        }
        return false;
    }
}
