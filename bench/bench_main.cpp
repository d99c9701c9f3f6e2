// The one main of corosim_bench: runs the benchmarks (Google Benchmark's
// flags apply), then prints W1-W7 as one table — every executor's figure per
// unit of work, its ratio to the bare loop and asio's ratio to it, all from
// this one run — and each target of docs/performance.md as met or missed.
// With --instructions, it counts instructions per unit of W1-W3 and W5 instead
// (bench/instructions.h).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench/instructions.h"
#include "bench/memory_latency.h"
#include "bench/workloads.h"

namespace {

using corosim::bench::kW1;
using corosim::bench::kW2;
using corosim::bench::kW3;
using corosim::bench::kW4;
using corosim::bench::kW5;
using corosim::bench::kW6;
using corosim::bench::kW7;

struct Figures {
  double per_unit = 0;  // seconds
  double bytes_per_fiber = -1;
};

class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      Figures& figures = results[run.benchmark_name()];
      if (auto found = run.counters.find("per_unit"); found != run.counters.end()) {
        figures.per_unit = found->second.value;
      }
      if (auto found = run.counters.find("bytes_per_fiber"); found != run.counters.end()) {
        figures.bytes_per_fiber = found->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, Figures> results;
};

const Figures* find(const Collector& collector, const std::string& name) {
  auto found = collector.results.find(name);
  return found == collector.results.end() ? nullptr : &found->second;
}

std::string verdict(bool met) { return met ? "met" : "MISSED"; }

void print_switching(const Collector& collector) {
  std::printf("\n%-16s %-16s %12s %10s %10s\n", "workload", "executor", "ns/unit", "x bare", "asio / it");
  for (const char* workload : {kW1, kW2, kW3}) {
    const Figures* bare = find(collector, std::string(workload) + "/bare");
    const Figures* asio = find(collector, std::string(workload) + "/asio");
    for (const char* executor : {"bare", "corosim_fifo", "corosim_random", "asio"}) {
      const Figures* figures = find(collector, std::string(workload) + "/" + executor);
      if (figures == nullptr) continue;
      std::printf("%-16s %-16s %12.1f", workload, executor, figures->per_unit * 1e9);
      if (bare != nullptr) std::printf(" %9.2fx", figures->per_unit / bare->per_unit);
      if (asio != nullptr) std::printf(" %9.2fx", asio->per_unit / figures->per_unit);
      std::printf("\n");
    }
  }
}

void print_targets(const Collector& collector) {
  std::printf("\ntargets (the simulator with the random strategy, tracing on):\n");
  for (const char* workload : {kW1, kW2, kW3}) {
    const Figures* sim = find(collector, std::string(workload) + "/corosim_random");
    const Figures* bare = find(collector, std::string(workload) + "/bare");
    const Figures* asio = find(collector, std::string(workload) + "/asio");
    if (sim == nullptr || bare == nullptr || asio == nullptr) continue;
    const double vs_bare = sim->per_unit / bare->per_unit;
    const double vs_asio = asio->per_unit / sim->per_unit;
    std::printf("  %-16s within 4x of the bare loop: %5.2fx %-6s  >= 5x faster than asio: %5.2fx %s\n",
                workload, vs_bare, verdict(vs_bare <= 4).c_str(), vs_asio, verdict(vs_asio >= 5).c_str());
  }
  if (const Figures* w4 = find(collector, std::string(kW4) + "/corosim_random")) {
    std::printf("  %-16s %.1f ns per timer (no target)\n", kW4, w4->per_unit * 1e9);
  }
  if (const Figures* w5 = find(collector, std::string(kW5) + "/corosim_random")) {
    const double runs_per_second = 1 / w5->per_unit;
    // DESIGN.md's target, then issue 19's.
    std::printf("  %-16s >= 1,000,000 runs/s: %.0f runs/s %s; >= 3,000,000: %s\n", kW5, runs_per_second,
                verdict(runs_per_second >= 1e6).c_str(), verdict(runs_per_second >= 3e6).c_str());
  }
  if (const Figures* w6 = find(collector, std::string(kW6) + "/corosim_random")) {
    std::printf("  %-16s %.3f s per full sweep (no target)\n", kW6, w6->per_unit);
  }
  const Figures* smallest = nullptr;
  for (const char* size : {"1000", "100000", "1000000"}) {
    const Figures* w7 = find(collector, std::string(kW7) + "/corosim_random/" + size);
    if (w7 == nullptr) continue;
    if (smallest == nullptr) smallest = w7;
    const double growth = w7->per_unit / smallest->per_unit;
    std::printf(
        "  %-16s %8s fibers: %5.0f bytes/fiber (<= 256: %s), %6.1f ns/switch (%.2fx the "
        "1,000-fiber cost; flat <= 1.5x: %s; <= 3x: %s)\n",
        kW7, size, w7->bytes_per_fiber, verdict(w7->bytes_per_fiber <= 256).c_str(), w7->per_unit * 1e9,
        growth, verdict(growth <= 1.5).c_str(), verdict(growth <= 3).c_str());
  }
  // What memory costs a switch among a million (bench/memory_latency.h): a
  // miss not seen coming, and the floor when every pick is prefetched ahead.
  if (smallest != nullptr && find(collector, std::string(kW7) + "/corosim_random/1000000") != nullptr) {
    const double miss_ns = corosim::bench::dependent_load_ns(std::size_t{256} << 20);
    std::printf(
        "  %-16s one load at a random address in 256 MiB, dependent on the last: %.1f ns (%.1fx the "
        "1,000-fiber switch)\n",
        "memory", miss_ns, miss_ns / (smallest->per_unit * 1e9));
    const double walk_ns = corosim::bench::prefetched_walk_ns(1'000'000);
    std::printf(
        "  %-16s a pick's slot, record and frame among 1M, each prefetched 16 picks ahead: %.1f ns (%.1fx "
        "the 1,000-fiber switch)\n",
        "memory", walk_ns, walk_ns / (smallest->per_unit * 1e9));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Instruction counts (bench/instructions.h): --instructions [--only PREFIX]
  // counts W1-W3 and W5 under callgrind; --count-instructions NAME is its child.
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "--count-instructions")
    return corosim::bench::count_instructions(args[1]);
  if (!args.empty() && args[0] == "--instructions") {
    if (args.size() == 1) return corosim::bench::print_instructions(argv[0], "");
    if (args.size() == 3 && args[1] == "--only") return corosim::bench::print_instructions(argv[0], args[2]);
    std::fprintf(stderr, "usage: corosim_bench --instructions [--only WORKLOAD[/EXECUTOR]]\n");
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  print_switching(collector);
  print_targets(collector);
  return 0;
}
