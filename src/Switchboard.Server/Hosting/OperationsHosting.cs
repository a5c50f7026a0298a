using Microsoft.Extensions.Options;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Running the server in production (docs/operations.md): a start that fails says why in one line with
/// an exit code, every setting is checked before the server listens, and <c>/healthz</c> and
/// <c>/readyz</c> answer probes.
/// </summary>
internal static class OperationsHosting
{
    /// <summary>Call first on the builder, so a bad setting met while configuring is reported too.</summary>
    public static void AddOperations(this WebApplicationBuilder builder)
    {
        StartupFailure.ExitCleanly(builder);
        builder.UseBuiltWebRootWhenMissing();
        builder.AddHealth();
    }

    /// <summary>Call right after <c>Build</c>: checks the settings before anything reads them, maps the probes.</summary>
    public static void MapOperations(this WebApplication app)
    {
        ValidateSettings(app.Services);
        app.Lifetime.ApplicationStarted.Register(StartupFailure.MarkStarted);
        app.Lifetime.ApplicationStopping.Register(StartupFailure.MarkStopping);
        app.MapHealth();
    }

    /// <summary>
    /// Binds and validates every options type registered for validation on start, now rather than when
    /// the host starts, so the first bad setting stops the process before it listens.
    /// </summary>
    private static void ValidateSettings(IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (ex is not StartupFailure && AsBadSetting(ex) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>What options validation throws: its own exception, the binder's, or a validate delegate's.</summary>
    private static StartupFailure? AsBadSetting(Exception ex) =>
        StartupFailure.Classify(ex)
        ?? (ex is InvalidOperationException or ArgumentException or FormatException
            ? new StartupFailure(StartupFailure.BadSettings, ex.Message, ex)
            : null);
}
