// Catch2 (v2) assertions over corosim::explore():
//
//   REQUIRE_THAT(corosim::explore("bank/transfer", transfer), corosim::Passes());
//
// On failure Catch2 prints the explanation: the failure, each fiber's last
// events, the repro path and the command that replays it in this binary, for
// every test and for this test alone (COROSIM_REPLAY=FILE, harness/testing.h).
#pragma once

#include <catch2/catch.hpp>
#include <iostream>
#include <string>

#include "corosim/harness/testing.h"

namespace corosim {

class PassesMatcher : public Catch::MatcherBase<Exploration> {
 public:
  bool match(const Exploration& result) const override {
    // Catch2 wraps what it prints at 80 columns, which breaks a command line
    // apart: the replay command also goes to stderr whole.
    if (!result.met() && !result.repro_path.empty()) {
      std::cerr << "corosim: replay this test alone: " << replay_this_test(result) << "\n";
    }
    return result.met();
  }
  std::string describe() const override { return "meets its expectation"; }

  // COROSIM_REPLAY=<its repro> <this binary> <the running test's name, as a
  // Catch2 test spec with its special characters escaped>.
  static std::string replay_this_test(const Exploration& result) {
    std::string spec;
    for (const char c : Catch::getResultCapture().getCurrentTestName()) {
      if (c == '\\' || c == ',' || c == '[' || c == ']' || c == '~' || c == '"') spec += '\\';
      spec += c;
    }
    return replay_command_line(result.repro_path, shell_quote(spec));
  }
};

inline PassesMatcher Passes() { return PassesMatcher{}; }

}  // namespace corosim

namespace Catch {
template <>
struct StringMaker<corosim::Exploration> {
  static std::string convert(const corosim::Exploration& result) {
    if (result.met()) return "scenario " + result.scenario + ": met";
    std::string text = "\n" + result.explanation;
    if (!result.repro_path.empty()) {
      text += "replay this test alone: " + corosim::PassesMatcher::replay_this_test(result) + "\n";
    }
    return text;
  }
};
}  // namespace Catch
