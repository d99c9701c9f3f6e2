// The run's progress display, driven by a fake clock.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "corosim/cli/progress.h"

using corosim::cli::Progress;

TEST_CASE("progress off a terminal is a plain line every ten seconds with rate failures and ETA",
          "[cli][progress]") {
  double now = 100;
  std::ostringstream out;
  Progress progress(Progress::Mode::lines, out, [&] { return now; });
  progress.start("race/lost_update", 1000);
  for (int second = 1; second <= 25; ++second) {
    now = 100 + second;
    progress.update(static_cast<std::uint64_t>(second) * 20, static_cast<std::uint64_t>(second / 10));
  }
  progress.finish();
  // t=10 s: 200 of 1000 runs at 20/s, 40 s to go; t=20 s: 400 runs, 30 s to go.
  CHECK(out.str() ==
        "progress: race/lost_update: 200/1000 runs, 20 runs/s, 1 failure(s), ETA 40s\n"
        "progress: race/lost_update: 400/1000 runs, 20 runs/s, 2 failure(s), ETA 30s\n");
}

TEST_CASE("progress on a terminal redraws one line at most ten times a second and clears it",
          "[cli][progress]") {
  double now = 0;
  std::ostringstream out;
  Progress progress(Progress::Mode::terminal, out, [&] { return now; });
  progress.start("select/read_send", 0);  // a sweep: no total, no ETA
  now = 0.05;
  progress.update(5, 0);  // too soon: nothing drawn
  CHECK(out.str().empty());
  now = 0.5;
  progress.update(50, 3);
  CHECK(out.str() == "\r\033[K  select/read_send: 50 runs, 100 runs/s, 3 failure(s)");
  progress.finish();
  CHECK(out.str().substr(out.str().size() - 4) == "\r\033[K");
}

TEST_CASE("quiet progress prints nothing", "[cli][progress]") {
  std::ostringstream out;
  Progress progress(Progress::mode_for(true), out, [] { return 1e9; });
  progress.start("x", 10);
  progress.update(10, 1);
  progress.finish();
  CHECK(out.str().empty());
}
