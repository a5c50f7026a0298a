using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Server.Demos;

/// <summary>An answer of the token-stream demo: what was asked, the full text, and how far its publication got.</summary>
internal sealed class Answer(string id, string prompt, string[] tokens)
{
    private int _published;

    public string Id { get; } = id;

    public string Prompt { get; } = prompt;

    public string[] Tokens { get; } = tokens;

    public string Text { get; } = string.Concat(tokens);

    public string Channel => AnswerStreams.ChannelPrefix + Id;

    public int Published => Volatile.Read(ref _published);

    public bool Done => Published == Tokens.Length;

    internal void Advance() => Interlocked.Increment(ref _published);
}

/// <summary>
/// The token-stream demo: <see cref="StartAsync"/> composes the answer to a prompt and publishes it to
/// channel <c>demo.answer.&lt;id&gt;</c>: a <c>start</c> event, one <c>token</c> event
/// (<c>{"i":n,"text":"..."}</c>) every <see cref="DemoOptions.StreamTokenInterval"/>, and a <c>done</c>
/// event. The caller gets the SSE cursor of the position before <c>start</c>, so a reader that opens
/// its stream with it, at any time, misses nothing.
/// </summary>
internal sealed class AnswerStreams(SocketServer io, IOptions<DemoOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<AnswerStreams> logger)
{
    public const string ChannelPrefix = "demo.answer.";
    public const int MaxPromptLength = 200;

    /// <summary>Answers kept for <c>GET /demo/answers/{id}</c>; older finished ones are forgotten first.</summary>
    private const int MaxKept = 256;

    private readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private int _running;

    public Answer? Find(string id) => _answers.TryGetValue(id, out var answer) ? answer : null;

    /// <summary>Null when <see cref="DemoOptions.StreamMaxConcurrent"/> answers are being generated already.</summary>
    public async Task<(Answer Answer, string Cursor)?> StartAsync(string prompt)
    {
        if (Interlocked.Increment(ref _running) > options.Value.StreamMaxConcurrent)
        {
            Interlocked.Decrement(ref _running);
            return null;
        }
        try
        {
            var answer = new Answer(NewId(), prompt, AnswerComposer.Tokenize(AnswerComposer.Compose(prompt)));
            Keep(answer);
            var hub = io.Main.Channels;
            var start = await hub.PublishAsync([answer.Channel], "start", [new { prompt, tokens = answer.Tokens.Length }], cancellationToken: lifetime.ApplicationStopping).ConfigureAwait(false);
            var position = start.Positions[answer.Channel];
            var cursor = ChannelCursor.Format([new StreamPosition(position.Offset - 1, position.Epoch)]);
            DemoLog.AnswerStarted(logger, answer.Id, answer.Tokens.Length);
            _ = GenerateAsync(answer, hub);
            return (answer, cursor);
        }
        catch
        {
            Interlocked.Decrement(ref _running);
            throw;
        }
    }

    private async Task GenerateAsync(Answer answer, ChannelHub hub)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            for (var i = 0; i < answer.Tokens.Length; i++)
            {
                await Task.Delay(options.Value.StreamTokenInterval, time, stopping).ConfigureAwait(false);
                await hub.PublishAsync([answer.Channel], "token", [new { i, text = answer.Tokens[i] }], cancellationToken: stopping).ConfigureAwait(false);
                answer.Advance();
            }
            await hub.PublishAsync([answer.Channel], "done", [new { tokens = answer.Tokens.Length }], cancellationToken: stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            DemoLog.AnswerFailed(logger, answer.Id, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private void Keep(Answer answer)
    {
        _answers[answer.Id] = answer;
        _order.Enqueue(answer.Id);
        while (_answers.Count > MaxKept && _order.TryPeek(out var oldest) && _answers.TryGetValue(oldest, out var old) && old.Done)
        {
            _order.TryDequeue(out _);
            _answers.TryRemove(oldest, out _);
        }
    }

    private static string NewId()
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}
