namespace Switchboard.Channels;

/// <summary>Who is subscribed to a channel, on every node of the cluster (on this node alone without one).</summary>
/// <param name="Channel">The channel's name.</param>
/// <param name="Connections">How many connections, of every protocol.</param>
/// <param name="Users">How many distinct users among them (connections without a user are not counted).</param>
/// <param name="Members">The users, each with its number of connections.</param>
public sealed record ChannelPresence(string Channel, int Connections, int Users, IReadOnlyList<PresenceMember> Members);

/// <summary>One subscribed connection: its id, its user when it has one, its protocol and the node it is on.</summary>
public sealed record PresenceMember(string ConnectionId, string? UserId, string Protocol, string? Node);
