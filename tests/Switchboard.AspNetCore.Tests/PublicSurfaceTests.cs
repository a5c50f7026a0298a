using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Switchboard.AspNetCore;
using Switchboard.Client;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Redis;

namespace Switchboard.AspNetCore.Tests;

/// <summary>
/// The rule of docs/decisions/0013: every public async call of every package takes a
/// <see cref="CancellationToken"/>, or says why not. Reflection over the five packages' exported types.
/// </summary>
public sealed class PublicSurfaceTests
{
    private static readonly Dictionary<string, Assembly> Packages = new(StringComparer.Ordinal)
    {
        ["Switchboard.Protocols"] = typeof(EngineCodec).Assembly,
        ["Switchboard.Core"] = typeof(EngineServer).Assembly,
        ["Switchboard.AspNetCore"] = typeof(SwitchboardServiceCollectionExtensions).Assembly,
        ["Switchboard.Redis"] = typeof(RedisClusterBus).Assembly,
        ["Switchboard.Client"] = typeof(SocketIOClient).Assembly,
    };

    /// <summary>
    /// Public async methods that take no token, each with its reason. Kept exact: an entry that no longer
    /// names such a method fails <see cref="Every_listed_exception_still_names_a_method_without_a_token"/>.
    /// </summary>
    private static readonly Dictionary<string, string> Exceptions = new(StringComparer.Ordinal)
    {
        // socket.io's serverSideEmit has no options-first form (there is no operator to carry a token), and a
        // token after `params` arguments would be sent as one (ADR 0006). Bounded by ClusterRequestTimeout.
        ["Switchboard.SocketIO.Namespace.ServerSideEmitAsync"] = "params arguments; bounded by ClusterRequestTimeout",
        ["Switchboard.SocketIO.Namespace.ServerSideEmitWithAckAsync"] = "params arguments; bounded by ClusterRequestTimeout",
        ["Switchboard.SocketIO.SocketServer.ServerSideEmitAsync"] = "params arguments; bounded by ClusterRequestTimeout",
        ["Switchboard.SocketIO.SocketServer.ServerSideEmitWithAckAsync"] = "params arguments; bounded by ClusterRequestTimeout",
    };

    public static TheoryData<string> PackageNames => [.. Packages.Keys];

    [Theory]
    [MemberData(nameof(PackageNames))]
    public void Every_public_async_method_takes_a_cancellation_token(string package)
    {
        var missing = AsyncMethods(Packages[package])
            .Where(m => !TakesToken(m) && !Excused(m))
            .Select(Describe)
            .ToList();

        Assert.True(missing.Count == 0,
            $"{missing.Count} public async method(s) of {package} take no CancellationToken (add `CancellationToken cancellationToken = default`, " +
            $"or for `params` arguments a WithCancellation(ct) on the type; docs/decisions/0013):\n  " + string.Join("\n  ", missing));
    }

    [Fact]
    public void The_rule_sees_the_async_methods_of_every_package_but_protocols()
    {
        // Not vacuous: the reflection finds the surface it checks (Protocols is pure codecs, no I/O).
        Assert.Empty(AsyncMethods(Packages["Switchboard.Protocols"]));
        foreach (var package in Packages.Keys.Where(p => p != "Switchboard.Protocols"))
        {
            Assert.True(AsyncMethods(Packages[package]).Count() >= 5, package);
        }
        Assert.Contains(AsyncMethods(Packages["Switchboard.Core"]), m => m.Name == "FetchSocketsAsync" && TakesToken(m));
    }

    [Fact]
    public void Every_listed_exception_still_names_a_method_without_a_token()
    {
        var all = Packages.Values.SelectMany(AsyncMethods).ToList();
        foreach (var name in Exceptions.Keys)
        {
            var methods = all.Where(m => FullName(m) == name).ToList();
            Assert.True(methods.Count > 0, $"{name} is listed as an exception but is not a public async method");
            Assert.True(methods.Any(m => !TakesToken(m)), $"{name} is listed as an exception but takes a token now: remove it from the list");
        }
    }

    [Fact]
    public void A_params_method_excused_by_WithCancellation_is_on_a_type_that_has_one()
    {
        // The options-first form of ADR 0006: socket.Timeout(t).WithCancellation(ct).EmitWithAckAsync(...).
        var excused = Packages.Values.SelectMany(AsyncMethods).Where(m => !TakesToken(m) && EndsInParams(m)).ToList();
        Assert.NotEmpty(excused);
        foreach (var method in excused.Where(m => !Exceptions.ContainsKey(FullName(m))))
        {
            Assert.True(HasWithCancellation(method.DeclaringType!), Describe(method));
        }
    }

    private static IEnumerable<MethodInfo> AsyncMethods(Assembly assembly) =>
        assembly.GetExportedTypes()
            .Where(t => !typeof(Delegate).IsAssignableFrom(t))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) && !m.IsSpecialName && IsAsync(m.ReturnType))
            .Where(m => m.GetCustomAttribute<ObsoleteAttribute>() is null);

    private static bool IsAsync(Type type)
    {
        if (type == typeof(Task) || type == typeof(ValueTask))
        {
            return true;
        }
        if (!type.IsGenericType)
        {
            return false;
        }
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(Task<>) || definition == typeof(ValueTask<>) || definition == typeof(IAsyncEnumerable<>);
    }

    private static bool TakesToken(MethodInfo method) =>
        method.GetParameters().Any(p => p.ParameterType == typeof(CancellationToken));

    private static bool EndsInParams(MethodInfo method) =>
        method.GetParameters() is { Length: > 0 } parameters
        && (parameters[^1].IsDefined(typeof(ParamArrayAttribute)) || parameters[^1].IsDefined(typeof(ParamCollectionAttribute)));

    private static bool HasWithCancellation(Type type) =>
        type.GetMethod("WithCancellation", BindingFlags.Public | BindingFlags.Instance, [typeof(CancellationToken)]) is not null;

    private static bool Excused(MethodInfo method) =>
        // IAsyncDisposable's DisposeAsync has no token by design of the interface.
        method.Name == "DisposeAsync" && method.GetParameters().Length == 0
        // A request's token is its HttpContext.RequestAborted, as for ASP.NET Core's own IResult.ExecuteAsync.
        || method.GetParameters().Any(p => p.ParameterType == typeof(HttpContext))
        // `params` arguments: the token comes first, from the type's WithCancellation (ADR 0006).
        || EndsInParams(method) && HasWithCancellation(method.DeclaringType!)
        || Exceptions.ContainsKey(FullName(method));

    private static string FullName(MethodInfo method) => $"{method.DeclaringType!.FullName}.{method.Name}";

    private static string Describe(MethodInfo method) =>
        $"{FullName(method)}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
}
