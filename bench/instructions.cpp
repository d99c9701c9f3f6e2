#include "bench/instructions.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define COROSIM_CALLGRIND 1
#endif

#include "bench/workloads.h"

namespace corosim::bench {

void instructions_begin() {
#ifdef COROSIM_CALLGRIND
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
#endif
}

void instructions_end() {
#ifdef COROSIM_CALLGRIND
  CALLGRIND_STOP_INSTRUMENTATION;
#endif
}

std::vector<OneShot>& one_shots() {
  static std::vector<OneShot> all;  // filled during static initialisation, in any order
  return all;
}

int count_instructions(const std::string& name) {
  for (const OneShot& shot : one_shots()) {
    if (shot.name != name) continue;
    shot.run(false);
    shot.run(true);
    return 0;
  }
  std::fprintf(stderr, "corosim_bench: no workload '%s' to count; they are:\n", name.c_str());
  for (const OneShot& shot : one_shots()) std::fprintf(stderr, "  %s\n", shot.name.c_str());
  return 2;
}

std::uint64_t callgrind_total(const std::string& path) {
  std::ifstream in(path);
  std::uint64_t total = 0;
  for (std::string line; std::getline(in, line);) {
    for (const char* key : {"summary:", "totals:"}) {
      const std::string prefix(key);
      if (line.rfind(prefix, 0) == 0) total = std::strtoull(line.c_str() + prefix.size(), nullptr, 10);
    }
  }
  return total;
}

namespace {

bool have_valgrind() { return std::system("valgrind --version > /dev/null 2>&1") == 0; }

// Instructions per unit of shot, or a negative number when the child failed.
double measure(const char* self, const OneShot& shot) {
  char folder[] = "/tmp/corosim-callgrind-XXXXXX";
  if (mkdtemp(folder) == nullptr) return -1;
  const std::string out = std::string(folder) + "/callgrind.out";
  std::ostringstream command;
  command << "valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=" << out << " '" << self
          << "' --count-instructions '" << shot.name << "' > " << folder << "/log 2>&1";
  const int status = std::system(command.str().c_str());
  const std::uint64_t total = status == 0 ? callgrind_total(out) : 0;
  if (status != 0 || total == 0) {
    std::fprintf(stderr, "corosim_bench: counting %s failed (%s); its log:\n", shot.name.c_str(),
                 command.str().c_str());
    std::ifstream log(std::string(folder) + "/log");
    std::fputs(std::string(std::istreambuf_iterator<char>(log), {}).c_str(), stderr);
  }
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
  return total == 0 ? -1 : static_cast<double>(total) / static_cast<double>(shot.units);
}

// The issue-19 targets: instructions per unit for the random strategy.
struct Target {
  const char* workload;
  double max_per_unit;
};
constexpr Target kTargets[] = {{kW1, 300}, {kW2, 1000}, {kW3, 900}};

}  // namespace

int print_instructions(const char* self, const std::string& only) {
  if (!have_valgrind()) {
    std::fprintf(stderr,
                 "corosim_bench --instructions: valgrind is not installed (apt-get install valgrind)\n");
    return 2;
  }
  std::map<std::string, double> per_unit;
  std::vector<std::string> order;
  for (const OneShot& shot : one_shots()) {
    if (!only.empty() && shot.name.rfind(only, 0) != 0) continue;
    std::fprintf(stderr, "counting %s under callgrind\n", shot.name.c_str());
    const double figure = measure(self, shot);
    if (figure < 0) return 2;
    per_unit[shot.name] = figure;
    order.push_back(shot.name);
  }
  // Registration order follows the link order of the files that add them:
  // printed by workload, each in the order its executors were added.
  std::map<std::string, std::vector<std::string>> by_workload;
  for (const std::string& name : order) by_workload[name.substr(0, name.find('/'))].push_back(name);
  order.clear();
  for (const auto& [workload, names] : by_workload) order.insert(order.end(), names.begin(), names.end());
  std::printf("\ninstructions per unit (callgrind, one warm run each):\n");
  std::printf("%-16s %-16s %14s %10s %10s\n", "workload", "executor", "instr/unit", "x bare", "asio / it");
  for (const std::string& name : order) {
    const std::string workload = name.substr(0, name.find('/'));
    const double figure = per_unit[name];
    std::printf("%-16s %-16s %14.1f", workload.c_str(), name.substr(name.find('/') + 1).c_str(), figure);
    if (auto bare = per_unit.find(workload + "/bare"); bare != per_unit.end()) {
      std::printf(" %9.2fx", figure / bare->second);
    }
    if (auto asio = per_unit.find(workload + "/asio"); asio != per_unit.end()) {
      std::printf(" %9.2fx", asio->second / figure);
    }
    std::printf("\n");
  }
  std::printf("\ntargets in instructions (the simulator with the random strategy):\n");
  for (const Target& target : kTargets) {
    const auto sim = per_unit.find(std::string(target.workload) + "/corosim_random");
    const auto asio = per_unit.find(std::string(target.workload) + "/asio");
    if (sim == per_unit.end() || asio == per_unit.end()) continue;
    const double vs_asio = asio->second / sim->second;
    std::printf("  %-16s <= %.0f per unit: %8.1f %-6s  >= 4x fewer than asio: %5.2fx %s\n", target.workload,
                target.max_per_unit, sim->second, sim->second <= target.max_per_unit ? "met" : "MISSED",
                vs_asio, vs_asio >= 4 ? "met" : "MISSED");
  }
  return 0;
}

}  // namespace corosim::bench
