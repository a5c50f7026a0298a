using Switchboard.AspNetCore.Cluster;

namespace Switchboard.AspNetCore.Tests.Cluster;

/// <summary>The default node address: the first address Kestrel reports, a wildcard host made reachable.</summary>
public sealed class NodeAddressTests
{
    [Theory]
    [InlineData("http://0.0.0.0:5000", "http://127.0.0.1:5000")]
    [InlineData("http://[::]:5000", "http://127.0.0.1:5000")]
    [InlineData("http://*:5000", "http://127.0.0.1:5000")]
    [InlineData("http://+:5000", "http://127.0.0.1:5000")]
    [InlineData("https://[::]:8443", "https://127.0.0.1:8443")]
    [InlineData("http://10.0.0.5:8080", "http://10.0.0.5:8080")]
    [InlineData("http://[::1]:8080", "http://[::1]:8080")]
    [InlineData("http://node-3.internal:8080", "http://node-3.internal:8080")]
    public void A_wildcard_host_becomes_the_loopback_address_with_the_same_port(string listening, string expected)
    {
        Assert.Equal(expected, NodeAddress.FromListening([listening, "http://10.9.9.9:1"]));
    }

    [Fact]
    public void No_address_gives_none()
    {
        Assert.Null(NodeAddress.FromListening([]));
        Assert.Null(NodeAddress.FromListening(null));
    }
}
