#include "corosim/replay/minimize.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "corosim/replay/replay.h"
#include "corosim/sim/strategy/replay.h"

namespace corosim {

namespace {

std::size_t nonzero(const DecisionStream& decisions) {
  return static_cast<std::size_t>(
      std::count_if(decisions.begin(), decisions.end(), [](const Decision& d) { return d.value != 0; }));
}

// Smaller: never longer; then fewer non-plain choices, then fewer decisions.
bool smaller(const DecisionStream& a, const DecisionStream& b) {
  if (a.size() > b.size()) return false;
  const std::size_t na = nonzero(a);
  const std::size_t nb = nonzero(b);
  return na != nb ? na < nb : a.size() < b.size();
}

class Shrinker {
 public:
  Shrinker(const Repro& repro, const MainFactory& body, std::uint64_t budget)
      : body_(body), budget_(budget), key_(failure_key(repro)), options_(options_for(repro)), best_(repro) {}

  // Replays values under plan; the run's exact stream if it keeps the failure.
  std::optional<RunResult> attempt(const CancelPlan& plan, const DecisionStream& values) {
    if (replays_ >= budget_) return std::nullopt;
    ++replays_;
    ReplayStrategy strategy(values, ReplayStrategy::Mode::lenient);
    SimOptions options = options_;
    options.cancel = plan;
    Simulator simulator(strategy, options);
    RunResult run = simulator.run(body_, best_.seed);
    if (failure_key(run) != key_) return std::nullopt;
    return run;
  }

  // Keeps the candidate if it fails the same way and is smaller.
  bool try_candidate(const CancelPlan& plan, const DecisionStream& values) {
    std::optional<RunResult> run = attempt(plan, values);
    if (!run) return false;
    const bool earlier = plan_earlier(plan) && run->decisions.size() <= best_.decisions.size();
    if (!smaller(run->decisions, best_.decisions) && !earlier) return false;
    best_.cancel = plan;
    best_.decisions = run->decisions;
    best_.trace_hash = run->trace_hash;
    best_.message = run->failure->message.substr(0, run->failure->message.find('\n'));
    return true;
  }

  bool plan_earlier(const CancelPlan& plan) const {
    return plan.kind == CancelPlan::Kind::at_point && best_.cancel.kind == CancelPlan::Kind::at_point &&
           plan.point < best_.cancel.point;
  }

  void earlier_cancellation() {
    if (best_.cancel.kind != CancelPlan::Kind::at_point) return;
    for (std::uint64_t point = 0; point < best_.cancel.point && replays_ < budget_; ++point) {
      if (try_candidate(CancelPlan::at(point, best_.cancel.mode), best_.decisions)) return;
    }
  }

  void shortest_prefix() {
    std::size_t low = 0;
    std::size_t high = best_.decisions.size();
    while (low < high && replays_ < budget_) {
      const std::size_t mid = low + (high - low) / 2;
      DecisionStream prefix(best_.decisions.begin(),
                            best_.decisions.begin() + static_cast<std::ptrdiff_t>(mid));
      if (try_candidate(best_.cancel, prefix)) {
        high = std::min(mid, best_.decisions.size());
      } else {
        low = mid + 1;
      }
    }
  }

  // Delta debugging over chunks: drop them (zero = false) or zero them.
  void chunks(bool zero) {
    for (std::size_t size = std::max<std::size_t>(1, best_.decisions.size() / 2); size >= 1; size /= 2) {
      for (std::size_t at = 0; at < best_.decisions.size() && replays_ < budget_;) {
        DecisionStream candidate = best_.decisions;
        const std::size_t end = std::min(candidate.size(), at + size);
        if (zero) {
          bool any = false;
          for (std::size_t i = at; i < end; ++i) {
            any = any || candidate[i].value != 0;
            candidate[i].value = 0;
          }
          if (!any) {
            at += size;
            continue;
          }
        } else {
          candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(at),
                          candidate.begin() + static_cast<std::ptrdiff_t>(end));
        }
        if (!try_candidate(best_.cancel, candidate)) at += size;
      }
      if (size == 1) break;
    }
  }

  MinimizeResult run() {
    MinimizeResult result;
    result.decisions_before = best_.decisions.size();
    result.nonzero_before = nonzero(best_.decisions);
    for (int round = 0; round < 4 && replays_ < budget_; ++round) {
      const Repro before = best_;
      earlier_cancellation();
      shortest_prefix();
      chunks(false);
      chunks(true);
      if (before.decisions == best_.decisions && before.cancel.point == best_.cancel.point) break;
    }
    result.repro = best_;
    result.decisions_after = best_.decisions.size();
    result.nonzero_after = nonzero(best_.decisions);
    result.replays = replays_;
    return result;
  }

  std::uint64_t replays() const noexcept { return replays_; }

 private:
  const MainFactory& body_;
  std::uint64_t budget_;
  std::string key_;
  SimOptions options_;
  Repro best_;
  std::uint64_t replays_ = 0;
};

}  // namespace

absl::StatusOr<MinimizeResult> minimize_repro(const Repro& repro, const MainFactory& body,
                                              std::uint64_t max_replays) {
  if (!repro.checker) {
    return absl::FailedPreconditionError("the repro records a passing run: there is no failure to keep");
  }
  auto strict = replay_repro(repro, body);
  if (!strict.ok()) return strict.status();
  if (strict->divergence || !strict->signature_matches) {
    const std::string got =
        strict->run.passed() ? std::string("the run passed")
                             : "it failed with " + std::string(checker_name(strict->run.failure->checker)) +
                                   " at " + strict->run.failure->location.str();
    return absl::FailedPreconditionError(
        absl::StrCat("the repro does not reproduce its failure (", repro.checker_text(), " at ",
                     repro.location, "): ", strict->divergence ? "the run diverged from the recording" : got,
                     "; replay it to see what happens now"));
  }
  // The strict check above is one of the replays allowed.
  Shrinker shrinker(repro, body, max_replays > 0 ? max_replays - 1 : 0);
  MinimizeResult result = shrinker.run();
  result.replays += 1;
  return result;
}

}  // namespace corosim
