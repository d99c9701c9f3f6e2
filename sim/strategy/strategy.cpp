#include "corosim/sim/strategy/strategy.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "corosim/executor/did_you_mean.h"
#include "corosim/sim/strategy/dfs.h"
#include "corosim/sim/strategy/fifo.h"
#include "corosim/sim/strategy/pct.h"
#include "corosim/sim/strategy/portfolio.h"
#include "corosim/sim/strategy/pos.h"
#include "corosim/sim/strategy/random.h"

namespace corosim {

std::vector<std::string_view> strategy_names() {
  return {"fifo", "random", "pct", "pct:DEPTH", "pct:DEPTH:STEPS", "pos", "dfs", "dfs:BOUND", "portfolio"};
}

absl::StatusOr<std::unique_ptr<Strategy>> make_strategy(std::string_view name) {
  if (name == "fifo") return std::make_unique<FifoStrategy>();
  if (name == "random") return std::make_unique<RandomStrategy>();
  if (name == "portfolio") return std::make_unique<PortfolioStrategy>();
  if (name == "pos") return std::make_unique<PosStrategy>();
  // pct[:depth[:steps]] and dfs[:deviation bound].
  const std::string_view base = name.substr(0, name.find(':'));
  if (base == "pct" || base == "dfs") {
    std::uint32_t parameter = base == "pct" ? 3 : 2;
    std::uint64_t steps = 0;  // pct's k; 0: learned
    if (name.size() > base.size()) {
      std::string text(name.substr(base.size() + 1));
      const std::size_t colon = text.find(':');
      bool good = true;
      if (base == "pct" && colon != std::string::npos) {
        good = absl::SimpleAtoi(text.substr(colon + 1), &steps) && steps > 0 && steps <= (1ULL << 40);
        text.resize(colon);
      }
      if (!good || !absl::SimpleAtoi(text, &parameter) || parameter > 64 ||
          (base == "pct" && parameter == 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "bad strategy '", std::string(name), "': ",
            base == "pct" ? "pct:DEPTH takes a depth from 1 to 64, and pct:DEPTH:STEPS a step count from 1"
                          : "dfs:BOUND takes a deviation bound from 0 to 64"));
      }
    }
    if (base == "pct") return std::make_unique<PctStrategy>(parameter, steps);
    return std::make_unique<DfsStrategy>(parameter);
  }
  // Debian's Abseil has its own string_view type: pass std::strings.
  std::string known;
  std::vector<std::string_view> names;
  for (std::string_view known_name : strategy_names()) {
    if (!known.empty()) known += ", ";
    known += known_name;
    names.push_back(known_name);
  }
  std::string close = did_you_mean(name, names);
  if (close.empty()) close = " (choose one of: " + known + ")";
  return absl::InvalidArgumentError(absl::StrCat("unknown strategy '", std::string(name), "'", close));
}

const char* decision_kind_name(DecisionKind kind) noexcept {
  switch (kind) {
    case DecisionKind::schedule: return "schedule";
    case DecisionKind::yield: return "yield";
    case DecisionKind::timer_tie: return "timer-tie";
    case DecisionKind::random: return "random";
    case DecisionKind::cancel_arm: return "cancel-arm";
    case DecisionKind::cancel_fire: return "cancel-fire";
    case DecisionKind::cancel_mode: return "cancel-mode";
    case DecisionKind::buggify_arm: return "buggify-arm";
    case DecisionKind::buggify_fire: return "buggify-fire";
    case DecisionKind::timer_delay: return "timer-delay";
  }
  return "?";
}

}  // namespace corosim
