using System.Globalization;
using Switchboard.PublishBench;

const string Usage = """
The publish path under concurrent publishers (docs/performance.md, docs/scaling.md).

  publishbench order [--publishers 1,2,4,8] [--subscribers 10] [--seconds 3] [--rounds 3]
      N publisher threads, each on its own channel: all in one namespace (one order) against one
      namespace each (N orders), interleaved; publications/s, CPU per publication, how often a publish
      waited for the order, monitor contentions, thread-pool work items.
  publishbench pool [--publishers 1,8] [--subscribers-list 1000,10000] [--seconds 3] [--rounds 1]
      N publishers as async loops on the thread pool (as a server's handlers are), one namespace: the
      pool's threads (start, most seen), its work items per publication, publications/s, CPU per publication.
  publishbench redis --redis HOST:PORT [--nodes 3] [--in-flight 1,4,16,64,256] [--channels 16] [--seconds 5] [--rounds 2]
      cluster nodes in this process on one redis-server (give it one of its own), publications through
      the publish script with F in flight; publications/s, publish p50/p99, redis-server's CPU and the
      script's time from INFO commandstats.
Output: tab-separated rows, comments start with #.
""";

var command = args.Length > 0 ? args[0] : "help";
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}
int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
int[] Ints(string name, int[] fallback) => options.TryGetValue(name, out var v) ? [.. v.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture))] : fallback;
TimeSpan Seconds(double fallback) => TimeSpan.FromSeconds(options.TryGetValue("seconds", out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback);

switch (command)
{
    case "order":
        return await OrderBench.RunAsync(Ints("publishers", [1, 2, 4, 8]), Int("subscribers", 10), Seconds(3), Int("rounds", 3));
    case "pool":
        return await PoolBench.RunAsync(Ints("publishers", [1, 8]), Ints("subscribers-list", [1000, 10000]), Seconds(3), Int("rounds", 1));
    case "redis" when options.TryGetValue("redis", out var endpoint):
        return await RedisCeiling.RunAsync(endpoint, Int("nodes", 3), Ints("in-flight", [1, 4, 16, 64, 256]), Int("channels", 16), Seconds(5), Int("rounds", 2));
    default:
        Console.WriteLine(Usage);
        return command == "help" ? 0 : 2;
}
