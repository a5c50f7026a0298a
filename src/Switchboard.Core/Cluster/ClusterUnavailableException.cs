namespace Switchboard.Cluster;

/// <summary>
/// The cluster's backend (Redis) cannot be reached, so a publication was not made durable and was not
/// delivered. Thrown by <see cref="IClusterBus.PublishAsync"/>; the caller should fail loudly and may
/// retry later (the HTTP API answers 503 <c>unavailable</c>, a Socket.IO <c>publish</c> acks the same code).
/// </summary>
public sealed class ClusterUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
