#include "corosim/cli/fuzz_commands.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "corosim/replay/repro.h"
#include "corosim/cli/replay_commands.h"
#include "corosim/harness/fuzz.h"
#include "corosim/scenarios/registry.h"

namespace corosim::cli {

int command_import_fuzz(const char* argv0, const ImportFuzzFlags& flags) {
  const Scenario* scenario = ScenarioRegistry::global().find(flags.scenario);
  if (scenario == nullptr) {
    return usage_error("import-fuzz",
                       absl::NotFoundError(absl::StrCat("unknown scenario '", flags.scenario, "'",
                                                        ScenarioRegistry::global().suggest(flags.scenario))));
  }
  auto input = read_file(flags.input);
  if (!input.ok()) {
    return usage_error("import-fuzz", input.status());
  }
  FuzzHarness harness(*scenario);
  const RunResult& run = harness.run(*input);
  const Repro repro = harness.repro();
  const std::string out = flags.out.empty() ? flags.input + ".repro" : flags.out;
  const std::string text = absl::StrCat("# imported by corosim from the fuzz input ", flags.input, " (",
                                        input->size(), " bytes)\n", format_repro(repro));
  if (absl::Status status = write_file_atomically(out, text); !status.ok()) {
    return usage_error("import-fuzz", status);
  }
  std::cout << absl::StrFormat("corosim import-fuzz %s: %s, %d decision(s) from %d byte(s)\n", flags.input,
                               scenario->name, repro.decisions.size(), input->size());
  if (run.passed()) {
    std::cout << "  the run passes: this input no longer fails the scenario\n";
  } else {
    std::cout << absl::StrFormat("  failed: %s at %s\n", checker_name(run.failure->checker),
                                 run.failure->location.str());
  }
  std::cout << absl::StrFormat("  wrote %s\n  replay: %s replay %s\n", out, argv0, out);
  return run.passed() ? kExitNotMet : kExitMet;
}

int command_export_fuzz(const ExportFuzzFlags& flags) {
  auto loaded = load_repro(flags.path);
  if (!loaded.ok()) {
    return usage_error("export-fuzz", loaded.status());
  }
  auto bytes = fuzz_input_from_repro(*loaded->scenario, loaded->repro);
  if (!bytes.ok()) {
    std::cerr << "corosim export-fuzz: " << flags.path << ": " << bytes.status().message() << "\n";
    return kExitNotMet;
  }
  const std::string out = flags.out.empty() ? file_stem(flags.path) + ".fuzz" : flags.out;
  if (absl::Status status = write_file_atomically(out, *bytes); !status.ok()) {
    return usage_error("export-fuzz", status);
  }
  std::cout << absl::StrFormat("corosim export-fuzz %s: %s, %d byte(s)\n  wrote %s\n", flags.path,
                               loaded->repro.scenario, bytes->size(), out);
  return kExitMet;
}

}  // namespace corosim::cli
