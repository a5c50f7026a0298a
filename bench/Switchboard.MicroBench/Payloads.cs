using System.Text;
using System.Text.Json;

namespace Switchboard.MicroBench;

/// <summary>The payloads of the load generator's scenarios: 100 characters with a timestamp in front.</summary>
internal static class Payloads
{
    public const string Text = "@0000000001234567890:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

    public static readonly JsonElement Element = JsonDocument.Parse(JsonSerializer.Serialize(Text)).RootElement.Clone();

    /// <summary>An echo as the generator sends it: <c>42["echo","…",ack]</c> with ack id 17.</summary>
    public static readonly byte[] EchoMessage = Encoding.UTF8.GetBytes("4217[\"echo\"," + JsonSerializer.Serialize(Text) + "]");

    /// <summary>The message a subscriber gets: <c>42["msg","…"]</c>.</summary>
    public static readonly byte[] BroadcastMessage = Encoding.UTF8.GetBytes("42[\"msg\"," + JsonSerializer.Serialize(Text) + "]");

    public sealed record Quote(string Symbol, double Price, long Volume, string[] Tags);

    public static readonly Quote Object = new("ACME", 123.45, 1_000_000, ["tech", "nasdaq"]);
}
