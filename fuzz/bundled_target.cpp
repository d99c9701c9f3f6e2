// Every bundled scenario's libFuzzer target is this one program, linked once.
// fuzz/CMakeLists.txt gives it each target's name (a hard link per scenario in
// fuzz/scenarios.txt), and the name it is started under picks the scenario.
// A compile and a link per scenario were ~480 s of the fuzz build's CPU.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "corosim/fuzz/target.h"

namespace {

std::string& fuzzed_scenario() {
  static std::string name;
  return name;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** argv) {
  const absl::StatusOr<std::string> scenario = corosim::scenario_of_fuzz_target((*argv)[0]);
  if (!scenario.ok()) {
    std::fprintf(stderr, "corosim fuzz target: %s\n", std::string(scenario.status().message()).c_str());
    std::exit(1);
  }
  fuzzed_scenario() = *scenario;
  return 0;
}

CORO_FUZZ_TARGET(fuzzed_scenario().c_str())
