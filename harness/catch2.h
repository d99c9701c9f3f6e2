// Catch2 (v2) assertions over corosim::explore():
//
//   REQUIRE_THAT(corosim::explore("bank/transfer", transfer), corosim::Passes());
//
// On failure Catch2 prints the explanation: the failure, each fiber's last
// events, the repro path and the replay command.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "corosim/harness/testing.h"

namespace corosim {

class PassesMatcher : public Catch::MatcherBase<Exploration> {
 public:
  bool match(const Exploration& result) const override { return result.met(); }
  std::string describe() const override { return "meets its expectation"; }
};

inline PassesMatcher Passes() { return PassesMatcher{}; }

}  // namespace corosim

namespace Catch {
template <>
struct StringMaker<corosim::Exploration> {
  static std::string convert(const corosim::Exploration& result) {
    if (result.met()) return "scenario " + result.scenario + ": met";
    return "\n" + result.explanation;
  }
};
}  // namespace Catch
