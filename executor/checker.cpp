#include "corosim/executor/checker.h"

#include <array>
#include <vector>

#include "corosim/executor/did_you_mean.h"

namespace corosim {

namespace {

struct Entry {
  Checker checker;
  const char* name;
};

// The one name table, in declaration order (checked by checker_name's index).
constexpr std::array<Entry, 23> kCheckers = {{
    {Checker::deadlock, "deadlock"},
    {Checker::futurelock, "futurelock"},
    {Checker::escaped_exception, "escaped-exception"},
    {Checker::leak, "leak"},
    {Checker::check, "check"},
    {Checker::dangling_wait, "dangling-wait"},
    {Checker::stray_suspend, "stray-suspend"},
    {Checker::ledger, "ledger"},
    {Checker::cancel_safety, "cancel-safety"},
    {Checker::nondeterminism, "nondeterminism"},
    {Checker::snooze, "snooze"},
    {Checker::hogging, "hogging"},
    {Checker::detached_cleanup, "detached-cleanup"},
    {Checker::detached_fiber, "detached-fiber"},
    {Checker::unjoined_scope, "unjoined-scope"},
    {Checker::async_drop, "async-drop"},
    {Checker::use_after_close, "use-after-close"},
    {Checker::unawaited_task, "unawaited-task"},
    {Checker::real_time, "real-time"},
    {Checker::budget, "budget"},
    {Checker::replay_diverged, "replay-diverged"},
    {Checker::cancel_liveness, "cancel-liveness"},
    {Checker::crash, "crash"},
}};

constexpr bool table_in_order() {
  for (std::size_t i = 0; i < kCheckers.size(); ++i) {
    if (static_cast<std::size_t>(kCheckers[i].checker) != i) return false;
  }
  return static_cast<std::size_t>(Checker::crash) + 1 == kCheckers.size();
}
static_assert(table_in_order(), "kCheckers must list every Checker in declaration order");

constexpr std::array<Checker, kCheckers.size()> all_in_order() {
  std::array<Checker, kCheckers.size()> all{};
  for (std::size_t i = 0; i < kCheckers.size(); ++i) all[i] = kCheckers[i].checker;
  return all;
}
constexpr std::array<Checker, kCheckers.size()> kAll = all_in_order();

}  // namespace

std::span<const Checker> all_checkers() noexcept { return kAll; }

const char* checker_name(Checker checker) noexcept {
  const auto index = static_cast<std::size_t>(checker);
  return index < kCheckers.size() ? kCheckers[index].name : "?";
}

std::optional<Checker> checker_from_name(std::string_view name) noexcept {
  for (const Entry& entry : kCheckers) {
    if (name == entry.name) return entry.checker;
  }
  return std::nullopt;
}

std::string checker_suggestion(std::string_view unknown) {
  std::vector<std::string_view> names;
  for (const Entry& entry : kCheckers) names.emplace_back(entry.name);
  std::string close = did_you_mean(unknown, names);
  if (!close.empty()) return close;
  std::string all = " (the checkers are:";
  for (const Entry& entry : kCheckers) all += std::string(" ") + entry.name;
  return all + ")";
}

}  // namespace corosim
