// GoogleTest assertions over corosim::explore():
//
//   EXPECT_TRUE(corosim::gtest::Passes(corosim::explore("bank/transfer", transfer)));
//
// On failure the message is the explanation: the failure, each fiber's last
// events, the repro path and the replay command.
#pragma once

#include <gtest/gtest.h>

#include "corosim/harness/testing.h"

namespace corosim::gtest {

inline ::testing::AssertionResult Passes(const Exploration& result) {
  if (result.met()) return ::testing::AssertionSuccess() << "scenario " << result.scenario << " met";
  return ::testing::AssertionFailure() << "\n" << result.explanation;
}

}  // namespace corosim::gtest
