// corosim::main: the corosim command line as a library main. Link it with
// sources that register scenarios (CORO_SCENARIO) to get `list` and `run` over
// them, the way Catch2's and Google Benchmark's mains work.
//
// Exit codes: 0 every selected scenario met its expectation; 1 one did not;
// 2 usage error (bad flag, unknown scenario or strategy, unwritable file).
#pragma once

namespace corosim {

int main(int argc, char** argv);

}  // namespace corosim
