using Switchboard.Engine;
using Switchboard.Protocols;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// Every close inside the server carries a <see cref="DisconnectCode"/>; socket.io's reason strings are
/// derived from it where a socket leaves. These pin the string a handler (and socket.io's own tooling)
/// gets for each code, per scope, so the one vocabulary cannot change what users see.
/// </summary>
public sealed class DisconnectReasonTests
{
    public static TheoryData<string, bool, string> Table => new()
    {
        // The connection ended: socket.io's reasons for a closed connection.
        { "client_closed", true, "transport close" },
        { "shutdown", true, "server shutting down" },
        { "bad_request", true, "parse error" },
        { "too_large", true, "transport error" },
        { "internal", true, "forced close" },
        { "slow_consumer", true, "slow consumer" },
        { "ping_timeout", true, "ping timeout" },
        { "rate_limited", true, "forced close" },
        { "disconnected", true, "forced close" },
        // The socket left its namespace, the connection stays: a DISCONNECT packet from one side.
        { "client_closed", false, "client namespace disconnect" },
        { "disconnected", false, "server namespace disconnect" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_code_gives_the_reason_string_socket_io_gives(string code, bool connectionClosed, string wireName)
    {
        var disconnectCode = DisconnectCode.Find(code);
        Assert.NotNull(disconnectCode);

        Assert.Equal(wireName, DisconnectReasons.FromCode(disconnectCode, connectionClosed).ToWireName());
    }

    [Fact]
    public void Every_code_has_a_reason_when_the_connection_closes()
    {
        var pinned = Table.Select(row => (object[])row).Where(row => (bool)row[1]).Select(row => (string)row[0]);

        Assert.Equal(DisconnectCode.All.Select(c => c.Code).Order(), pinned.Order());
    }

    [Theory]
    [InlineData(DisconnectReason.ServerNamespaceDisconnect, false)]
    [InlineData(DisconnectReason.ClientNamespaceDisconnect, false)]
    [InlineData(DisconnectReason.ServerShuttingDown, true)]
    [InlineData(DisconnectReason.PingTimeout, true)]
    [InlineData(DisconnectReason.TransportClose, true)]
    [InlineData(DisconnectReason.TransportError, true)]
    [InlineData(DisconnectReason.ParseError, true)]
    [InlineData(DisconnectReason.ForcedClose, true)]
    [InlineData(DisconnectReason.SlowConsumer, true)]
    public void Every_reason_is_its_own_code_read_back(DisconnectReason reason, bool connectionClosed)
    {
        Assert.Equal(reason, DisconnectReasons.FromCode(reason.ToCode(), connectionClosed));
    }

#pragma warning disable CS0618 // The obsolete Engine.IO vocabulary still maps onto the codes.
    [Theory]
    [InlineData(EngineCloseReason.ServerClose, "disconnected")]
    [InlineData(EngineCloseReason.ServerShutdown, "shutdown")]
    [InlineData(EngineCloseReason.ClientClose, "client_closed")]
    [InlineData(EngineCloseReason.TransportClose, "client_closed")]
    [InlineData(EngineCloseReason.TransportError, "too_large")]
    [InlineData(EngineCloseReason.PingTimeout, "ping_timeout")]
    [InlineData(EngineCloseReason.ParseError, "bad_request")]
    [InlineData(EngineCloseReason.SlowConsumer, "slow_consumer")]
    public void The_obsolete_engine_close_reasons_map_onto_their_codes(EngineCloseReason reason, string code)
    {
        Assert.Equal(code, reason.ToCode().Code);
        // Read back, each code gives the reason that names it (the two client closes become one).
        Assert.Equal(code, EngineCloseReasons.FromCode(reason.ToCode()).ToCode().Code);
    }

    [Fact]
    public void A_session_closed_with_an_obsolete_reason_closes_with_its_code_and_reads_back()
    {
        using var server = new SocketServer(new SocketServerOptions());
        using var client = DirectClient.Open(server);

        client.Session.Close(EngineCloseReason.ParseError);

        Assert.Equal(DisconnectCode.BadRequest, client.Session.CloseCode);
        Assert.Equal(EngineCloseReason.ParseError, client.Session.CloseReason);
    }
#pragma warning restore CS0618
}
