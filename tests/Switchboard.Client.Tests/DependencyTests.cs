namespace Switchboard.Client.Tests;

/// <summary>The client stands on the codecs alone: no server layer, no ASP.NET Core.</summary>
public sealed class DependencyTests
{
    [Fact]
    public void The_client_references_protocols_and_no_server_assembly()
    {
        var client = typeof(SocketIOClient).Assembly;
        var references = client.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.Equal("Switchboard.Client", client.GetName().Name);
        Assert.Equal(["Switchboard.Protocols"], references.Where(r => r.StartsWith("Switchboard", StringComparison.Ordinal)));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }
}
