#include "corosim/sim/strategy/portfolio.h"

namespace corosim {

PortfolioStrategy::PortfolioStrategy() : pct_(3), dfs_(2) {}

void PortfolioStrategy::begin_run(std::uint64_t seed) {
  Strategy* rotation[] = {&random_, &pct_, &pos_, &dfs_};
  current_ = rotation[runs_++ % 4];
  if (current_ == &dfs_ && dfs_.exhausted()) current_ = &pos_;
  current_->begin_run(seed);
}

}  // namespace corosim
