namespace Switchboard.Redis.Tests;

/// <summary>Redis depends on Core's contracts only: never on ASP.NET Core or the projects above Core.</summary>
public sealed class DependencyDirectionTests
{
    [Fact]
    public void Redis_references_core_and_protocols_but_nothing_of_aspnetcore()
    {
        var references = typeof(RedisChannelStore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.Contains("Switchboard.Core", references);
        Assert.Contains("StackExchange.Redis", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Switchboard", StringComparison.Ordinal) && r is not ("Switchboard.Core" or "Switchboard.Protocols"));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }
}
