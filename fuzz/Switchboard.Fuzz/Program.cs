using SharpFuzz;
using Switchboard.Fuzz;

// Usage (fuzz/run.sh drives it; docs/fuzzing.md):
//   Switchboard.Fuzz <target>                           under afl-fuzz: the SharpFuzz loop, input from AFL
//   Switchboard.Fuzz <target> --replay <file|dir>...    runs each file once, reports the first failure
//   Switchboard.Fuzz <target> --mutate <seconds> <dir>  no AFL: random mutations of the files in dir
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Switchboard.Fuzz <{string.Join('|', FuzzTargets.All.Keys)}> [--replay <path>... | --mutate <seconds> <dir>]");
    return 2;
}

if (args.Length >= 2 && args[1] == "--replay")
{
    return Offline.Replay(target, args[2..]);
}
if (args.Length == 4 && args[1] == "--mutate")
{
    return Offline.Mutate(target, TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), args[3]);
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
