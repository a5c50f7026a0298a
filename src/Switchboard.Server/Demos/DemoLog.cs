namespace Switchboard.Server.Demos;

internal static partial class DemoLog
{
    [LoggerMessage(1100, LogLevel.Error, "The simulated market stopped")]
    public static partial void MarketFailed(ILogger logger, Exception exception);

    [LoggerMessage(1104, LogLevel.Warning, "The simulated market could not publish (it keeps trying): {Reason}")]
    public static partial void MarketPaused(ILogger logger, string reason);

    [LoggerMessage(1101, LogLevel.Debug, "Answer {AnswerId} started: {Tokens} tokens")]
    public static partial void AnswerStarted(ILogger logger, string answerId, int tokens);

    [LoggerMessage(1102, LogLevel.Error, "Answer {AnswerId} stopped before its end")]
    public static partial void AnswerFailed(ILogger logger, string answerId, Exception exception);

    [LoggerMessage(1103, LogLevel.Information, "Demo request refused with {Status} {Code}: {Message}")]
    public static partial void RequestRefused(ILogger logger, int status, string code, string message);
}
