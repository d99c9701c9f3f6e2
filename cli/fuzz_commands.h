// The fuzzing side of the command line: `import-fuzz` (a libFuzzer input,
// such as a crash file, becomes a repro) and `export-fuzz` (a repro becomes a
// fuzz input: the regression corpus seeds the fuzzers). Internal to
// cli/.
#pragma once

#include <string>

namespace corosim::cli {

struct ImportFuzzFlags {
  std::string scenario;
  std::string input;
  std::string out;  // default: INPUT.repro
};

struct ExportFuzzFlags {
  std::string path;
  std::string out;  // default: the repro's path with .fuzz for .repro
};

// Exit 0: the input's run failed and its repro is written; 1: it passed (the
// repro is written all the same); 2: usage or unreadable input.
int command_import_fuzz(const char* argv0, const ImportFuzzFlags& flags);
// Exit 0: written; 1: the repro's run has no fuzz form; 2: usage or malformed file.
int command_export_fuzz(const ExportFuzzFlags& flags);

}  // namespace corosim::cli
