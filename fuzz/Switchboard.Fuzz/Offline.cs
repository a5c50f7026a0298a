using System.Diagnostics;

namespace Switchboard.Fuzz;

/// <summary>Running a target without afl-fuzz: replaying files (seeds, crashes), or mutating them at random.</summary>
internal static class Offline
{
    private const string Punctuation = "{}[]\",:0-9~./\\u\u001e";

    public static int Replay(FuzzTarget target, string[] paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
        foreach (var file in files)
        {
            if (!TryRun(target, File.ReadAllBytes(file), file))
            {
                return 1;
            }
        }
        Console.WriteLine($"{files.Count} inputs passed");
        return 0;
    }

    /// <summary>
    /// The fallback when afl-fuzz cannot run: flips, inserts, deletes and splices bytes of the seeds at
    /// random. Not coverage-guided, so much weaker than AFL, but it runs the same checks.
    /// </summary>
    public static int Mutate(FuzzTarget target, TimeSpan duration, string seedDirectory)
    {
        var seeds = Directory.EnumerateFiles(seedDirectory).Select(File.ReadAllBytes).ToList();
        if (seeds.Count == 0)
        {
            seeds.Add([]);
        }
        var random = new Random(Environment.TickCount);
        var clock = Stopwatch.StartNew();
        long runs = 0;
        while (clock.Elapsed < duration)
        {
            var input = new List<byte>(seeds[random.Next(seeds.Count)]);
            for (var i = random.Next(1, 8); i > 0; i--)
            {
                Mutate(input, random, seeds[random.Next(seeds.Count)]);
            }
            var bytes = input.ToArray();
            runs++;
            if (!TryRun(target, bytes, null))
            {
                var path = Path.Combine(Path.GetTempPath(), $"switchboard-fuzz-crash-{Environment.ProcessId}-{runs}");
                File.WriteAllBytes(path, bytes);
                Console.Error.WriteLine($"crashing input saved to {path}");
                return 1;
            }
        }
        Console.WriteLine($"{runs} mutated inputs passed in {clock.Elapsed.TotalSeconds:0} s");
        return 0;
    }

    private static void Mutate(List<byte> input, Random random, byte[] other)
    {
        var at = input.Count == 0 ? 0 : random.Next(input.Count);
        switch (random.Next(5))
        {
            case 0 when input.Count > 0:
                input[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                input.Insert(at, (byte)random.Next(256));
                break;
            case 2 when input.Count > 0:
                input.RemoveRange(at, Math.Min(input.Count - at, random.Next(1, 4)));
                break;
            case 3 when other.Length > 0:
                var from = random.Next(other.Length);
                input.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, random.Next(1, 16))).ToArray());
                break;
            default:
                input.Insert(at, (byte)Punctuation[random.Next(Punctuation.Length)]);
                break;
        }
    }

    private static bool TryRun(FuzzTarget target, byte[] input, string? name)
    {
        try
        {
            target(input);
            return true;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"CRASH{(name is null ? "" : " on " + name)}: {ex}");
            Console.Error.WriteLine($"input ({input.Length} bytes, base64): {Convert.ToBase64String(input)}");
            return false;
        }
    }
}
