using Microsoft.Extensions.Options;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore;

/// <summary>
/// Refuses <see cref="SocketServerOptions"/> no server could run with, when the options are first read
/// (at start, as <c>AddSwitchboard</c> asks for validation on start): a heartbeat, timeout or size of zero
/// or less, a negative limit (0 turns a limit off, docs/protection.md), an out-of-range compression setting.
/// Each failure names the setting by its configuration path under the options' section
/// (<c>Engine:PingInterval</c>) and says what is wrong.
/// </summary>
internal sealed class SocketServerOptionsValidator : IValidateOptions<SocketServerOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, SocketServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var engine = options.Engine;
        Positive(failures, "Engine:PingInterval", engine.PingInterval);
        Positive(failures, "Engine:PingTimeout", engine.PingTimeout);
        Positive(failures, "Engine:UpgradeTimeout", engine.UpgradeTimeout);
        Positive(failures, "Engine:SendTimeout", engine.SendTimeout);
        Positive(failures, "Engine:MaxPayload", engine.MaxPayload);
        Positive(failures, "Engine:MaxQueuedBytes", engine.MaxQueuedBytes);
        NotNegative(failures, "Engine:RefusalLogInterval", engine.RefusalLogInterval);
        if (engine.TimerResolution is { } resolution)
        {
            Positive(failures, "Engine:TimerResolution", resolution);
        }
        try
        {
            engine.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            failures.Add($"Engine:{ex.ParamName?.Replace('.', ':')} is out of range (it is {ex.ActualValue ?? "?"}).");
        }
        Positive(failures, "ConnectTimeout", options.ConnectTimeout);
        Positive(failures, "ClusterRequestTimeout", options.ClusterRequestTimeout);
        Positive(failures, "ClusterAckWindow", options.ClusterAckWindow);

        var limits = options.Limits;
        NotNegative(failures, "Limits:MaxConnections", limits.MaxConnections);
        NotNegative(failures, "Limits:MaxConnectionsPerIp", limits.MaxConnectionsPerIp);
        NotNegative(failures, "Limits:HandshakesPerSecondPerIp", limits.HandshakesPerSecondPerIp);
        NotNegative(failures, "Limits:HandshakeBurstPerIp", limits.HandshakeBurstPerIp);
        NotNegative(failures, "Limits:EventsPerSecond", limits.EventsPerSecond);
        NotNegative(failures, "Limits:EventBurst", limits.EventBurst);
        NotNegative(failures, "Limits:EventBytesPerSecond", limits.EventBytesPerSecond);
        NotNegative(failures, "Limits:EventBytesBurst", limits.EventBytesBurst);
        NotNegative(failures, "Limits:MaxSubscriptionsPerSocket", limits.MaxSubscriptionsPerSocket);
        NotNegative(failures, "Limits:MaxRoomsPerSocket", limits.MaxRoomsPerSocket);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{setting} must be more than zero (it is {value}).");
        }
    }

    private static void Positive(List<string> failures, string setting, long value)
    {
        if (value <= 0)
        {
            failures.Add($"{setting} must be more than zero (it is {value}).");
        }
    }

    private static void NotNegative(List<string> failures, string setting, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            failures.Add($"{setting} must not be negative (it is {value}).");
        }
    }

    private static void NotNegative(List<string> failures, string setting, double value)
    {
        if (value < 0 || double.IsNaN(value))
        {
            failures.Add($"{setting} must be 0 (no limit) or more (it is {value}).");
        }
    }
}
