#include "sim/simulator.h"

#include <catch2/catch.hpp>

#include "runtime/corosim.h"
#include "tests/common/sim_helpers.h"

TEST_CASE("placeholder simulator", "[sim]") { SUCCEED(); }
