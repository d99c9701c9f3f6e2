#include "corosim/sim/wait_graph.h"

#include <algorithm>
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

// The blocked fibers f waits for (edges of the wait-for graph), in the order
// the target names them.
void holders_of(const Fiber& fiber, const std::vector<const Fiber*>& by_id, std::vector<const Fiber*>& out) {
  std::vector<std::uint32_t> ids;
  if (const Driver* driver = blocking_driver(fiber)) {
    ids.push_back(driver->owner_id());
  } else if (fiber.waiting_on != nullptr) {
    fiber.waiting_on->holder_ids(ids);
  }
  out.clear();
  for (const std::uint32_t id : ids) {
    if (id < by_id.size() && by_id[id] != nullptr) out.push_back(by_id[id]);
  }
}

// Finds the shortest cycle through each blocked fiber in id order; the first
// found is the one reported. A fiber that lies on no cycle is skipped by the
// later searches (no cycle can pass through it).
class CycleFinder {
 public:
  explicit CycleFinder(const std::vector<const Fiber*>& by_id)
      : by_id_(by_id), parent_(by_id.size(), nullptr), off_cycle_(by_id.size(), false) {}

  // The cycle through start, its fibers in order from start; empty if none.
  std::vector<const Fiber*> through(const Fiber* start) {
    std::vector<const Fiber*> cycle;
    std::vector<const Fiber*> frontier{start};
    std::vector<const Fiber*> touched;
    std::vector<const Fiber*> next;
    for (std::size_t at = 0; at < frontier.size() && cycle.empty(); ++at) {
      holders_of(*frontier[at], by_id_, next);
      for (const Fiber* holder : next) {
        if (holder == start) {
          for (const Fiber* node = frontier[at]; node != start; node = parent_[node->id])
            cycle.push_back(node);
          cycle.push_back(start);
          std::reverse(cycle.begin(), cycle.end());
          break;
        }
        if (off_cycle_[holder->id] || parent_[holder->id] != nullptr) continue;
        parent_[holder->id] = frontier[at];
        touched.push_back(holder);
        frontier.push_back(holder);
      }
    }
    for (const Fiber* node : touched) parent_[node->id] = nullptr;
    if (cycle.empty()) off_cycle_[start->id] = true;
    return cycle;
  }

 private:
  const std::vector<const Fiber*>& by_id_;
  std::vector<const Fiber*> parent_;  // the BFS tree of the current search
  std::vector<bool> off_cycle_;
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

WaitGraphReport describe_wait_graph(const Fiber* alive, std::uint32_t ids_end) {
  std::vector<const Fiber*> by_id(ids_end, nullptr);
  std::vector<const Fiber*> blocked;
  for (const Fiber* fiber = alive; fiber != nullptr; fiber = fiber->alive_next) {
    if (fiber->state == FiberState::done) continue;
    by_id[fiber->id] = fiber;
    blocked.push_back(fiber);
  }

  WaitGraphReport report;
  report.message =
      absl::StrCat("no fiber can run and no timer is pending; ", blocked.size(), " fiber(s) blocked:");
  for (const Fiber* fiber : blocked) absl::StrAppend(&report.message, "\n  ", describe_blocked_fiber(*fiber));
  if (!blocked.empty()) report.location = blocked.front()->suspended_at;

  // The first cycle, starting from its lowest fiber id.
  CycleFinder finder(by_id);
  for (const Fiber* start : blocked) {
    const std::vector<const Fiber*> cycle = finder.through(start);
    if (cycle.empty()) continue;
    std::string line = absl::StrCat("fiber ", start->id);
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      const Fiber& node = *cycle[i];
      report.futurelock = report.futurelock || blocking_driver(node) != nullptr;
      absl::StrAppend(&line, " -> ", edge_name(node), " -> fiber ", cycle[(i + 1) % cycle.size()]->id);
    }
    if (report.futurelock) {
      report.message = absl::StrCat(
          "futurelock: a fiber waits for something that one of its own sub-futures holds, and "
          "that sub-future only runs while the fiber polls it; ",
          report.message);
    }
    absl::StrAppend(&report.message, "\n  cycle: ", line);
    // Point at a real wait: for futurelock, the owner's, not the held member's.
    std::size_t waiter = 0;
    while (waiter + 1 < cycle.size() && blocking_driver(*cycle[waiter]) != nullptr) ++waiter;
    report.location = cycle[waiter]->suspended_at;
    break;
  }
  return report;
}

}  // namespace corosim
