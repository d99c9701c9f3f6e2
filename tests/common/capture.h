// Runs corosim::main in-process with std::cout and std::cerr captured.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "corosim/cli/cli.h"

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

// A path under $TMPDIR (or /tmp) of this process alone: two test runs at
// once (both builds, two checkouts) never share a file.
inline std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return (std::filesystem::path(dir != nullptr ? dir : "/tmp") /
          ("corosim_test_" + std::to_string(getpid()) + "_" + name))
      .string();
}

// A fresh, empty path of this process: nothing exists there yet.
inline std::string fresh_folder(const std::string& name) {
  const std::string path = temp_path(name);
  std::filesystem::remove_all(path);
  return path;
}

}  // namespace corosim::testing
