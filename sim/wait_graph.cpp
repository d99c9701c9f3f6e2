#include "corosim/sim/wait_graph.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "corosim/runtime/driver.h"

namespace corosim {

namespace {

std::string fiber_name(const Fiber& fiber) {
  if (fiber.id == 0) return "fiber 0 (main)";
  return absl::StrCat("fiber ", fiber.id, " (spawned at ", fiber.spawned_at.str(), ")");
}

// The fiber that must act for f to progress, if it is alive and known: the
// holder of what f waits on, or, for a member its driver holds (ready, not
// polled), the driver's owner.
const Driver* blocking_driver(const Fiber& fiber) {
  return fiber.held && fiber.driver != nullptr ? fiber.driver->blocking() : nullptr;
}

// The BFS tree's root, and a fiber the search has not reached.
constexpr std::uint32_t kNoParent = ~std::uint32_t{0};

// Which edges a search follows: every edge of a stuck run, or only the holds
// that nothing but their holders can release, between waiting fibers (a
// cycle of those is stuck although other fibers still run).
enum class Edges : bool { all, exclusive_holds };

// The blocked fibers f waits for (edges of the wait-for graph), in the order
// the target names them, as positions in buffers.unfinished.
void holders_of(const Fiber& fiber, WaitGraphBuffers& buffers, Edges edges) {
  std::vector<std::uint32_t>& ids = buffers.ids;
  buffers.holders.clear();
  ids.clear();
  if (edges == Edges::exclusive_holds) {
    if (fiber.state != FiberState::waiting || fiber.waiting_on == nullptr ||
        !fiber.waiting_on->holders_exclusive()) {
      return;
    }
    fiber.waiting_on->holder_ids(ids);
  } else if (const Driver* driver = blocking_driver(fiber)) {
    ids.push_back(driver->owner_id());
  } else if (fiber.waiting_on != nullptr) {
    fiber.waiting_on->holder_ids(ids);
  }
  for (const std::uint32_t id : ids) {
    const std::uint32_t holder = position_of(buffers.unfinished, id);
    if (holder == kNotIndexed) continue;
    if (edges == Edges::exclusive_holds && buffers.unfinished[holder]->state != FiberState::waiting) continue;
    buffers.holders.push_back(holder);
  }
}

// Finds the shortest cycle through each blocked fiber in id order; the first
// found is the one reported. A fiber that lies on no cycle is skipped by the
// later searches (no cycle can pass through it).
class CycleFinder {
 public:
  CycleFinder(WaitGraphBuffers& buffers, Edges edges) : b_(buffers), edges_(edges) {
    b_.parent.assign(b_.unfinished.size(), kNoParent);
    b_.off_cycle.assign(b_.unfinished.size(), false);
  }

  // The cycle through the fiber at position start, its fibers in order from
  // start; empty if none.
  const std::vector<const Fiber*>& through(std::uint32_t start) {
    std::vector<const Fiber*>& cycle = b_.cycle;
    std::vector<std::uint32_t>& frontier = b_.frontier;  // also every fiber the search touched
    cycle.clear();
    frontier.assign(1, start);
    for (std::size_t at = 0; at < frontier.size() && cycle.empty(); ++at) {
      holders_of(*b_.unfinished[frontier[at]], b_, edges_);
      for (const std::uint32_t holder : b_.holders) {
        if (holder == start) {
          for (std::uint32_t node = frontier[at]; node != start; node = b_.parent[node])
            cycle.push_back(b_.unfinished[node]);
          cycle.push_back(b_.unfinished[start]);
          std::reverse(cycle.begin(), cycle.end());
          break;
        }
        if (b_.off_cycle[holder] || b_.parent[holder] != kNoParent) continue;
        b_.parent[holder] = frontier[at];
        frontier.push_back(holder);
      }
    }
    for (const std::uint32_t node : frontier) b_.parent[node] = kNoParent;
    if (cycle.empty()) b_.off_cycle[start] = true;
    return cycle;
  }

 private:
  WaitGraphBuffers& b_;
  Edges edges_;
};

// The edge from f to its holder, as the cycle line shows it.
std::string edge_name(const Fiber& fiber) {
  std::string out;
  if (const Driver* driver = blocking_driver(fiber)) {
    out = "(ready, but polled only by its owner through ";
    driver->describe(out);
    out += ")";
  } else {
    fiber.waiting_on->describe(out);
  }
  return out;
}

}  // namespace

void index_unfinished(const Fiber* alive, std::vector<const Fiber*>& unfinished) {
  unfinished.clear();
  for (const Fiber* fiber = alive; fiber != nullptr; fiber = fiber->alive_next) {
    if (fiber->state != FiberState::done) unfinished.push_back(fiber);
  }
}

std::uint32_t position_of(const std::vector<const Fiber*>& unfinished, std::uint32_t id) {
  const auto at =
      std::lower_bound(unfinished.begin(), unfinished.end(), id,
                       [](const Fiber* fiber, std::uint32_t wanted) { return fiber->id < wanted; });
  if (at == unfinished.end() || (*at)->id != id) return kNotIndexed;
  return static_cast<std::uint32_t>(at - unfinished.begin());
}

std::string describe_blocked_fiber(const Fiber& fiber) {
  std::string out = fiber_name(fiber);
  if (const Driver* driver = blocking_driver(fiber)) {
    out += " is ready but not polled: it is driven by ";
    driver->describe(out);
    absl::StrAppend(&out, ", which runs it only while fiber ", driver->owner_id(), " awaits it, and fiber ",
                    driver->owner_id(), " is awaiting something else");
    return out;
  }
  if (fiber.state == FiberState::ready) return out + " is ready but was never run again";
  absl::StrAppend(&out, " waits at ", fiber.suspended_at.str(), " in ", fiber.waiting_what);
  if (fiber.waiting_on != nullptr) {
    std::string target;
    fiber.waiting_on->describe(target);
    absl::StrAppend(&out, " on ", target);
    const std::uint32_t holder = fiber.waiting_on->holder_id();
    if (holder == fiber.id) {
      out += ", held by this same fiber";
    } else if (holder != kNoFiber && target != absl::StrCat("fiber ", holder)) {
      absl::StrAppend(&out, ", held by fiber ", holder);
    }
  }
  return out;
}

namespace {

// "fiber 2 -> mutex#0 -> fiber 3 -> mutex#1 -> fiber 2"
std::string cycle_line(const std::vector<const Fiber*>& cycle) {
  std::string line = absl::StrCat("fiber ", cycle.front()->id);
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    absl::StrAppend(&line, " -> ", edge_name(*cycle[i]), " -> fiber ", cycle[(i + 1) % cycle.size()]->id);
  }
  return line;
}

// Whether something already in motion may cancel the fiber and so break a
// cycle through it: the timer of a timeout or a deadline, a race's other
// arm, a token, an injected cancellation about to act — for the fiber or for
// an owner whose cancellation reaches it.
bool cancellable_by_pending_work(const Fiber& fiber, const std::vector<const Fiber*>& unfinished) {
  for (const Fiber* at = &fiber; at != nullptr;) {
    if (at->stall != StallState::none) return true;
    switch (at->canceller) {
      case Canceller::timeout:
      case Canceller::race:
      case Canceller::token: return true;
      case Canceller::owner: break;
      case Canceller::none:
        if (at->driver == nullptr) return false;  // a combinator's member goes with its owner
        break;
      case Canceller::external: return false;  // may, but nothing has set out to
    }
    const std::uint32_t owner = at->owner_id < at->id ? position_of(unfinished, at->owner_id) : kNotIndexed;
    at = owner != kNotIndexed ? unfinished[owner] : nullptr;
  }
  return false;
}

}  // namespace

WaitGraphReport describe_wait_graph(const Fiber* alive) {
  WaitGraphBuffers buffers;
  index_unfinished(alive, buffers.unfinished);
  const std::vector<const Fiber*>& blocked = buffers.unfinished;

  WaitGraphReport report;
  report.message =
      absl::StrCat("no fiber can run and no timer is pending; ", blocked.size(), " fiber(s) blocked:");
  for (const Fiber* fiber : blocked) absl::StrAppend(&report.message, "\n  ", describe_blocked_fiber(*fiber));
  if (!blocked.empty()) report.location = blocked.front()->suspended_at;

  // The first cycle, starting from its lowest fiber id.
  CycleFinder finder(buffers, Edges::all);
  for (std::uint32_t start = 0; start < blocked.size(); ++start) {
    const std::vector<const Fiber*>& cycle = finder.through(start);
    if (cycle.empty()) continue;
    for (const Fiber* node : cycle)
      report.futurelock = report.futurelock || blocking_driver(*node) != nullptr;
    if (report.futurelock) {
      report.message = absl::StrCat(
          "futurelock: a fiber waits for something that one of its own sub-futures holds, and "
          "that sub-future only runs while the fiber polls it; ",
          report.message);
    }
    absl::StrAppend(&report.message, "\n  cycle: ", cycle_line(cycle));
    // Point at a real wait: for futurelock, the owner's, not the held member's.
    std::size_t waiter = 0;
    while (waiter + 1 < cycle.size() && blocking_driver(*cycle[waiter]) != nullptr) ++waiter;
    report.location = cycle[waiter]->suspended_at;
    break;
  }
  return report;
}

std::optional<WaitGraphReport> find_stuck_cycle(const Fiber* alive, std::vector<std::uint32_t>& starts,
                                                WaitGraphBuffers& buffers) {
  index_unfinished(alive, buffers.unfinished);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  CycleFinder finder(buffers, Edges::exclusive_holds);
  for (const std::uint32_t id : starts) {
    const std::uint32_t from = position_of(buffers.unfinished, id);
    if (from == kNotIndexed) continue;
    const std::vector<const Fiber*>& cycle = finder.through(from);
    if (cycle.empty()) continue;
    const bool breakable = std::any_of(cycle.begin(), cycle.end(), [&](const Fiber* node) {
      return cancellable_by_pending_work(*node, buffers.unfinished);
    });
    if (breakable) continue;
    // Named from the lowest id, as the stuck run's report does.
    std::vector<const Fiber*> ordered = cycle;
    std::rotate(ordered.begin(),
                std::min_element(ordered.begin(), ordered.end(),
                                 [](const Fiber* a, const Fiber* b) { return a->id < b->id; }),
                ordered.end());
    WaitGraphReport report;
    report.message = absl::StrCat(ordered.size(),
                                  " fiber(s) wait for each other in a cycle that nothing "
                                  "pending can break, while other fibers still run:");
    for (const Fiber* node : ordered) absl::StrAppend(&report.message, "\n  ", describe_blocked_fiber(*node));
    absl::StrAppend(&report.message, "\n  cycle: ", cycle_line(ordered));
    report.location = ordered.front()->suspended_at;
    return report;
  }
  return std::nullopt;
}

}  // namespace corosim
