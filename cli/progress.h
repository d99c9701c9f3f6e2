// The progress display of `corosim run`: on a terminal, one line redrawn at
// most ten times a second; elsewhere (CI logs), a plain line every ten
// seconds, so a short run prints none and a long one shows it is alive;
// nothing with --quiet. Each says runs done (of how many, when known), runs
// per second, failures so far and, when the total is known, the time left.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace corosim::cli {

class Progress {
 public:
  enum class Mode : std::uint8_t { off, terminal, lines };
  using Clock = std::function<double()>;  // seconds, monotonic

  // terminal when stderr is one, else lines; off when quiet.
  static Mode mode_for(bool quiet);
  static double steady_seconds();

  Progress(Mode mode, std::ostream& out, Clock clock = &Progress::steady_seconds);

  // A scenario starts; total 0: not known in advance (a sweep).
  void start(const std::string& scenario, std::uint64_t total);
  void update(std::uint64_t done, std::uint64_t failures);
  // Clears the terminal line before the scenario's report.
  void finish();

 private:
  std::string describe(std::uint64_t done, std::uint64_t failures, double now) const;

  Mode mode_;
  std::ostream& out_;
  Clock clock_;
  std::string scenario_;
  std::uint64_t total_ = 0;
  double started_ = 0;
  double last_shown_ = 0;
};

}  // namespace corosim::cli
