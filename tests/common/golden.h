// Golden (approval) files: a textual artefact is compared with
// tests/golden/NAME. Set COROSIM_UPDATE_GOLDEN=1 to rewrite the files from the
// current output, then review the diff before committing.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace corosim::testing {

// Appended piece by piece: with the tests' precompiled header, g++ 12
// inlines `std::string(dir) + "..."` here into a false -Warray-bounds.
inline std::string golden_path(const std::string& name) {
  std::string path = COROSIM_SOURCE_DIR;
  path += "/tests/golden/";
  path += name;
  return path;
}

inline void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  if (std::getenv("COROSIM_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual;
    WARN("rewrote " << path);
    return;
  }
  std::ifstream in(path);
  INFO("golden file " << path << " (COROSIM_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE(in.good());
  std::stringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return;
  std::istringstream want(expected.str());
  std::istringstream got(actual);
  std::string want_line;
  std::string got_line;
  int line = 1;
  while (true) {
    const bool more_want = static_cast<bool>(std::getline(want, want_line));
    const bool more_got = static_cast<bool>(std::getline(got, got_line));
    if (!more_want && !more_got) break;
    if (!more_want || !more_got || want_line != got_line) {
      FAIL("first difference at line " << line << "\n  golden: " << (more_want ? want_line : "<end>")
                                       << "\n  actual: " << (more_got ? got_line : "<end>"));
    }
    ++line;
  }
  FAIL("outputs differ only in their final newline");
}

}  // namespace corosim::testing
