// Runs corosim::main in-process with std::cout and std::cerr captured.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/cli.h"

namespace corosim::testing {

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

inline CliResult run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "corosim");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::ostringstream out;
  std::ostringstream err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  const int code = corosim::main(static_cast<int>(args.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return CliResult{code, out.str(), err.str()};
}

// A fresh, empty path under $TMPDIR (or /tmp): nothing exists there yet.
inline std::string fresh_folder(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  const std::filesystem::path path = std::filesystem::path(dir != nullptr ? dir : "/tmp") / ("corosim_test_" + name);
  std::filesystem::remove_all(path);
  return path.string();
}

}  // namespace corosim::testing
