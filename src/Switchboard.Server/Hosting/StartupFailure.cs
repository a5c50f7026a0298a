using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Switchboard.SocketIO;

namespace Switchboard.Server.Hosting;

/// <summary>
/// A start that cannot succeed ends with one line on stderr that says why, and an exit code a supervisor
/// can act on (docs/operations.md): <see cref="BadSettings"/> (2) for a setting that is malformed or out of
/// range, <see cref="CannotRun"/> (1) for the world being wrong (the port is taken, Redis is out of reach
/// with <c>Switchboard:Redis:FailFast</c>). Anything else still crashes with its stack trace: that is a bug.
/// </summary>
internal sealed partial class StartupFailure(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public const int Stopped = 0;
    public const int CannotRun = 1;
    public const int BadSettings = 2;

    // The host logs a failed start with the exception's stack trace under this category; the one line
    // replaces it. Before the start only: afterwards its errors (a faulted background service) are kept.
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private static volatile bool s_started;
    private static volatile bool s_stopping;

    public int ExitCode { get; } = exitCode;

    /// <summary>Turns the known start failures into one line and an exit code; the others keep their stack trace.</summary>
    public static void ExitCleanly(WebApplicationBuilder builder)
    {
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            // Once started, a crash is a bug whatever it looks like: keep its stack trace.
            if (!s_started && e.ExceptionObject is Exception ex && Classify(ex) is { } failure)
            {
                Console.Error.WriteLine($"Switchboard cannot start: {failure.Message}");
                Console.Error.Flush();
                Environment.Exit(failure.ExitCode);
            }
        };
        // A rule of its own for the host's category replaces the configured one: keep its level.
        var configured = ConfiguredLevel(builder.Configuration.GetSection("Logging:LogLevel"), HostCategory);
        builder.Logging.Services.Configure<LoggerFilterOptions>(options => options.Rules.Add(
            new LoggerFilterRule(null, HostCategory, configured, (_, _, level) => s_started || level < LogLevel.Error)));
    }

    /// <summary>The level <c>Logging:LogLevel</c> sets for a category: its longest configured prefix, else Default.</summary>
    private static LogLevel? ConfiguredLevel(IConfigurationSection levels, string category)
    {
        for (var name = category; name.Length > 0; name = name.LastIndexOf('.') is var dot and > 0 ? name[..dot] : "")
        {
            if (Enum.TryParse<LogLevel>(levels[name], ignoreCase: true, out var level))
            {
                return level;
            }
        }
        return Enum.TryParse<LogLevel>(levels["Default"], ignoreCase: true, out var fallback) ? fallback : null;
    }

    /// <summary>From now on the host's errors are logged as usual.</summary>
    public static void MarkStarted() => s_started = true;

    /// <summary>A stop was asked for (SIGTERM, Ctrl+C): a start it cancels is no failure.</summary>
    public static void MarkStopping() => s_stopping = true;

    /// <summary>The one-line failure an exception stands for, or null when it is not a known start failure.</summary>
    public static StartupFailure? Classify(Exception ex) => ex switch
    {
        StartupFailure failure => failure,
        OperationCanceledException when s_stopping => new(Stopped, "stopped before it had started (asked to stop while starting).", ex),
        OptionsValidationException invalid => new(BadSettings, string.Join(" ", invalid.Failures.Select(f => Qualify(invalid.OptionsType, f))), ex),
        AggregateException many when many.InnerExceptions.Select(Classify).ToArray() is { Length: > 0 } parts && parts.All(p => p is not null) =>
            new(parts.Max(p => p!.ExitCode), string.Join(" ", parts.Select(p => p!.Message)), ex),
        InvalidOperationException when BinderFailure().Match(ex.Message) is { Success: true } match =>
            new(BadSettings, $"{match.Groups["path"].Value}: {Describe(match.Groups["value"].Value, match.Groups["type"].Value, ex.InnerException)}", ex),
        IOException when Chain(ex).Any(e => e is AddressInUseException or SocketException) =>
            new(CannotRun, ex.Message, ex),
        _ => null,
    };

    /// <summary>The socket server's settings are bound from the "Switchboard" section: name them by their full path.</summary>
    private static string Qualify(Type? optionsType, string failure) =>
        optionsType == typeof(SocketServerOptions) && !failure.StartsWith("Switchboard:", StringComparison.Ordinal) ? "Switchboard:" + failure : failure;

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    /// <summary>Why a value did not convert: what the type expects, or what its own converter said.</summary>
    private static string Describe(string value, string type, Exception? converter) => type switch
    {
        "System.TimeSpan" => $"'{value}' is not a time span (hh:mm:ss, e.g. 00:00:25).",
        "System.Int32" or "System.Int64" => $"'{value}' is not a whole number.",
        "System.Double" => $"'{value}' is not a number.",
        "System.Boolean" => $"'{value}' is not true or false.",
        _ when FindType(type) is { IsEnum: true } e => $"'{value}' is not one of {string.Join(", ", Enum.GetNames(e))}.",
        // A converter of our own (e.g. the Socket.IO parser's) says what it takes.
        _ when OwnConverterError(converter) is { } own => own.Message,
        _ => $"'{value}' is not a valid {type}.",
    };

    private static FormatException? OwnConverterError(Exception? converter)
    {
        for (var e = converter; e is not null; e = e.InnerException)
        {
            if (e is FormatException format && format.TargetSite?.DeclaringType?.Namespace?.StartsWith("Switchboard", StringComparison.Ordinal) == true)
            {
                return format;
            }
        }
        return null;
    }

    private static Type? FindType(string name) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(name)).FirstOrDefault(t => t is not null);

    // The configuration binder's message: "Failed to convert configuration value 'x' at 'A:B' to type 'T'."
    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']*)' to type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex BinderFailure();
}
