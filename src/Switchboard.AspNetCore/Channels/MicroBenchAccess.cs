using System.Runtime.CompilerServices;

// The micro-benchmarks write SSE events as a stream does (bench/Switchboard.MicroBench, ServerSentEventsBenchmarks).
[assembly: InternalsVisibleTo("Switchboard.MicroBench")]
