using System.Runtime.CompilerServices;

// The micro-benchmarks drain session queues as a transport does (bench/Switchboard.MicroBench).
[assembly: InternalsVisibleTo("Switchboard.MicroBench")]
