// The one Google Benchmark main of corosim_bench.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
