using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// A subscriber of Switchboard's channel long-poll (docs/protocols/longpoll.md): the URL names the
/// channel; the first poll (<c>timeout=0</c>) answers at once with the cursor, then one poll is held at
/// a time with the cursor of the previous answer, on one keep-alive connection. Each publication object
/// of an answer is handed up as one message (it holds the bench payload). Receive-only.
/// </summary>
internal sealed class ChannelLongPollConnection : WireConnection
{
    private HttpConnection? _http;
    private string _path = "";
    private string? _cursor;
    private volatile bool _closed;
    private static long s_discontinuities;

    /// <summary>
    /// Discontinuities answered to every long-poll subscriber of this process so far: a poll whose cursor
    /// the channel's history no longer reaches (a subscriber further behind than the history's size). Each
    /// one means lost publications, so a scenario reports them.
    /// </summary>
    public static long Discontinuities => Interlocked.Read(ref s_discontinuities);

    public override async Task ConnectAsync(Uri uri, CancellationToken cancellation)
    {
        _http = new HttpConnection(uri);
        _path = uri.PathAndQuery;
        var status = await _http.SendAsync("GET", _path + "&timeout=0", default, cancellation);
        if (status != 200)
        {
            throw new IOException($"long-poll refused: HTTP {status} {Encoding.UTF8.GetString(_http.Body)}");
        }
        Dispatch(_http.Body);
        if (_cursor is null)
        {
            throw new IOException("long-poll answer without a cursor");
        }
        _ = PollLoopAsync();
    }

    private async Task PollLoopAsync()
    {
        string? error = null;
        try
        {
            while (!_closed)
            {
                var status = await _http!.SendAsync("GET", $"{_path}&timeout=25&cursor={Uri.EscapeDataString(_cursor!)}", default);
                if (status != 200)
                {
                    error = $"poll answered HTTP {status}: {Encoding.UTF8.GetString(_http.Body)}";
                    break;
                }
                Dispatch(_http.Body);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or JsonException)
        {
            error = _closed ? null : ex.Message;
        }
        _closed = true;
        Handler.OnClosed(error);
    }

    /// <summary>Hands up each publication of an answer and keeps its cursor.</summary>
    private void Dispatch(ReadOnlySpan<byte> answer)
    {
        var reader = new Utf8JsonReader(answer);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("publications"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    Handler.OnText(answer[start..(int)reader.BytesConsumed]);
                }
            }
            else if (reader.ValueTextEquals("discontinuities"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    reader.Skip();
                    Interlocked.Increment(ref s_discontinuities);
                }
            }
            else if (reader.ValueTextEquals("cursor"u8))
            {
                reader.Read();
                _cursor = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    public override bool SendText(ReadOnlySpan<byte> utf8) => false;

    public override void Close()
    {
        _closed = true;
        _http?.Dispose();
    }
}
