#include "corosim/cli/progress.h"

#include <unistd.h>

#include <chrono>

#include "absl/strings/str_format.h"

namespace corosim::cli {

namespace {
constexpr double kTerminalInterval = 0.1;
constexpr double kLineInterval = 10.0;
}  // namespace

Progress::Mode Progress::mode_for(bool quiet) {
  if (quiet) return Mode::off;
  return isatty(STDERR_FILENO) != 0 ? Mode::terminal : Mode::lines;
}

double Progress::steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Progress::Progress(Mode mode, std::ostream& out, Clock clock)
    : mode_(mode), out_(out), clock_(std::move(clock)) {}

void Progress::start(const std::string& scenario, std::uint64_t total) {
  scenario_ = scenario;
  total_ = total;
  started_ = last_shown_ = mode_ == Mode::off ? 0 : clock_();
}

void Progress::update(std::uint64_t done, std::uint64_t failures) {
  if (mode_ == Mode::off) return;
  const double now = clock_();
  const bool finished = total_ != 0 && done == total_;
  if (mode_ == Mode::terminal) {
    if (!finished && now - last_shown_ < kTerminalInterval) return;
    out_ << "\r\033[K  " << describe(done, failures, now) << std::flush;
  } else {
    if (now - last_shown_ < kLineInterval) return;
    out_ << "progress: " << describe(done, failures, now) << "\n" << std::flush;
  }
  last_shown_ = now;
}

void Progress::finish() {
  if (mode_ == Mode::terminal) out_ << "\r\033[K" << std::flush;
}

std::string Progress::describe(std::uint64_t done, std::uint64_t failures, double now) const {
  const double elapsed = now - started_;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string text = total_ != 0 ? absl::StrFormat("%s: %d/%d runs", scenario_, done, total_)
                                 : absl::StrFormat("%s: %d runs", scenario_, done);
  absl::StrAppendFormat(&text, ", %.0f runs/s, %d failure(s)", rate, failures);
  if (total_ != 0 && rate > 0 && done < total_) {
    absl::StrAppendFormat(&text, ", ETA %.0fs", static_cast<double>(total_ - done) / rate);
  }
  return text;
}

}  // namespace corosim::cli
