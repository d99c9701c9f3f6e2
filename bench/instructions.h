// Instructions per unit of work, counted by callgrind: the figure that does
// not drift with the load of a shared machine (issue 19; docs/performance.md).
//
// `corosim_bench --instructions [--only NAME]` runs, for each of W1-W3 on
// every executor and W5, `valgrind --tool=callgrind --instr-atstart=no` on itself
// with `--count-instructions NAME`: the child runs the workload once to warm
// up (buffers grown, as in the timed benchmark), then once more with
// instrumentation on around it alone; the parent reads the total from
// callgrind's output file and divides by the workload's units.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace corosim::bench {

// One workload on one executor, runnable outside Google Benchmark.
struct OneShot {
  std::string name;  // "W1_yield_storm/corosim_random"
  std::uint64_t units;
  void (*run)(bool measured);  // measured: count this run's instructions
};

// Every workload --instructions can count, added by the files that register
// them with Google Benchmark: W1-W3 on every executor (bench/switching.cpp),
// W5's runs (bench/simulator_workloads.cpp).
std::vector<OneShot>& one_shots();

// Bracket the measured region (callgrind client requests; no-ops elsewhere).
void instructions_begin();
void instructions_end();

// The child: runs NAME warm, then measured. 2 when NAME is unknown.
int count_instructions(const std::string& name);

// The parent: prints the table and the issue-19 targets. self is argv[0];
// only, when not empty, selects workloads by name prefix. 2 when valgrind is
// missing or a child fails.
int print_instructions(const char* self, const std::string& only);

// The total of a callgrind output file's "summary:" (or "totals:") line;
// 0 when it has none.
std::uint64_t callgrind_total(const std::string& path);

}  // namespace corosim::bench
