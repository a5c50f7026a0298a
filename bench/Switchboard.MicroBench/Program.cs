using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Switchboard.MicroBench -- --filter '*'        (every benchmark)
// dotnet run -c Release --project bench/Switchboard.MicroBench -- --filter '*Broadcast*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Switchboard.MicroBench.Payloads).Assembly).Run(args);


