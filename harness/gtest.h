// GoogleTest assertions over corosim::explore():
//
//   EXPECT_TRUE(corosim::gtest::Passes(corosim::explore("bank/transfer", transfer)));
//
// On failure the message is the explanation: the failure, each fiber's last
// events, the repro path and the command that replays it in this binary, for
// every test and for this test alone (COROSIM_REPLAY=FILE, harness/testing.h).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "corosim/harness/testing.h"

namespace corosim::gtest {

inline ::testing::AssertionResult Passes(const Exploration& result) {
  if (result.met()) return ::testing::AssertionSuccess() << "scenario " << result.scenario << " met";
  ::testing::AssertionResult failure = ::testing::AssertionFailure() << "\n" << result.explanation;
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (!result.repro_path.empty() && test != nullptr) {
    const std::string filter = std::string("--gtest_filter=") + test->test_suite_name() + "." + test->name();
    failure << "replay this test alone: "
            << corosim::replay_command_line(result.repro_path, corosim::shell_quote(filter)) << "\n";
  }
  return failure;
}

}  // namespace corosim::gtest
