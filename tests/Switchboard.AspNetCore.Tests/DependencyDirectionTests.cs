using System.Reflection;
using Switchboard.AspNetCore;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Tests;

/// <summary>Dependencies point one way: Protocols ← Core ← AspNetCore ← Server.</summary>
public sealed class DependencyDirectionTests
{
    private static readonly Assembly Protocols = typeof(EngineCodec).Assembly;
    private static readonly Assembly Core = typeof(EngineServer).Assembly;
    private static readonly Assembly AspNetCore = typeof(SwitchboardServiceCollectionExtensions).Assembly;

    private static string[] References(Assembly assembly) =>
        [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)];

    [Fact]
    public void The_assemblies_under_test_are_the_expected_ones()
    {
        Assert.Equal("Switchboard.Protocols", Protocols.GetName().Name);
        Assert.Equal("Switchboard.Core", Core.GetName().Name);
        Assert.Equal("Switchboard.AspNetCore", AspNetCore.GetName().Name);
    }

    [Fact]
    public void Protocols_references_no_other_switchboard_assembly_and_no_framework_above_the_bcl()
    {
        var references = References(Protocols);

        Assert.DoesNotContain(references, r => r.StartsWith("Switchboard", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.Extensions", StringComparison.Ordinal));
    }

    [Fact]
    public void Core_references_only_protocols_and_not_aspnetcore()
    {
        var references = References(Core);

        Assert.Equal(["Switchboard.Protocols"], references.Where(r => r.StartsWith("Switchboard", StringComparison.Ordinal)));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void AspNetCore_references_core_and_protocols_but_not_the_server()
    {
        var references = References(AspNetCore);

        Assert.Contains("Switchboard.Core", references);
        Assert.DoesNotContain("Switchboard.Server", references);
        Assert.DoesNotContain(references, r => r.StartsWith("Switchboard", StringComparison.Ordinal) && r is not ("Switchboard.Core" or "Switchboard.Protocols"));
    }
}
