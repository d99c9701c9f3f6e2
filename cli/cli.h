// corosim::main: the corosim command line as a library main. Link it with
// sources that register scenarios (CORO_SCENARIO) to get `list`, `run`,
// `replay` and `minimize` over them, the way Catch2's and Google Benchmark's mains work.
//
// Exit codes of `run`: 0 every selected scenario (and regression) met its
// expectation; 1 one did not; 2 usage error (bad flag, unknown scenario or
// strategy, unwritable file, malformed repro); 3 all met but a regression
// repro is stale (the code no longer makes its recorded run); 128 + N after
// signal N (SIGINT, SIGTERM) stopped it. `merge`: 0 to 3 as `run`.
// `replay`: 0 the run passed, 1 it failed, 2 usage error, 3 it diverged from
// the recording. `minimize`: 0 written, 1 the repro does not reproduce its
// failure, 2 usage error.
#pragma once

namespace corosim {

int main(int argc, char** argv);

}  // namespace corosim
