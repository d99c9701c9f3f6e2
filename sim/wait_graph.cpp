#include "corosim/sim/wait_graph.h"

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

std::uint32_t holder_id_of(const Fiber& fiber) {
  if (const Driver* driver = blocking_driver(fiber)) return driver->owner_id();
  if (fiber.waiting_on == nullptr) return kNoFiber;
  return fiber.waiting_on->holder_id();
}

const Fiber* holder_of(const Fiber& fiber, const std::vector<const Fiber*>& by_id) {
  const std::uint32_t id = holder_id_of(fiber);
  return id < by_id.size() ? by_id[id] : nullptr;
}

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

  // The first cycle, starting from its lowest fiber id: follow holder edges
  // from each fiber in id order, at most |blocked| hops.
  for (const Fiber* start : blocked) {
    const Fiber* at = holder_of(*start, by_id);
    for (std::size_t hops = 0; at != nullptr && at != start && hops < blocked.size(); ++hops) {
      at = holder_of(*at, by_id);
    }
    if (at != start) continue;
    std::string cycle = absl::StrCat("fiber ", start->id);
    const Fiber* node = start;
    do {
      report.futurelock = report.futurelock || blocking_driver(*node) != nullptr;
      const std::string edge = edge_name(*node);
      node = holder_of(*node, by_id);
      absl::StrAppend(&cycle, " -> ", edge, " -> fiber ", node->id);
    } while (node != start);
    if (report.futurelock) {
      report.message = absl::StrCat(
          "futurelock: a fiber waits for something that one of its own sub-futures holds, and "
          "that sub-future only runs while the fiber polls it; ",
          report.message);
    }
    absl::StrAppend(&report.message, "\n  cycle: ", cycle);
    // Point at a real wait: for futurelock, the owner's, not the held member's.
    const Fiber* waiter = start;
    while (blocking_driver(*waiter) != nullptr) waiter = holder_of(*waiter, by_id);
    report.location = waiter->suspended_at;
    break;
  }
  return report;
}

}  // namespace corosim
