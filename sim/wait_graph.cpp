#include "sim/wait_graph.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace corosim {

namespace {

std::string fiber_name(const Fiber& fiber) {
  if (fiber.id == 0) return "fiber 0 (main)";
  return absl::StrCat("fiber ", fiber.id, " (spawned at ", fiber.spawned_at.str(), ")");
}

// The fiber that holds what f waits on, if it is alive and known.
const Fiber* holder_of(const Fiber& fiber, const std::vector<const Fiber*>& by_id) {
  if (fiber.waiting_on == nullptr) return nullptr;
  const std::uint32_t id = fiber.waiting_on->holder_id();
  return id < by_id.size() ? by_id[id] : nullptr;
}

}  // namespace

std::string describe_blocked_fiber(const Fiber& fiber) {
  std::string out = fiber_name(fiber);
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
  report.message = absl::StrCat("no fiber can run and no timer is pending; ", blocked.size(),
                                " fiber(s) blocked:");
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
      std::string target;
      node->waiting_on->describe(target);
      node = holder_of(*node, by_id);
      absl::StrAppend(&cycle, " -> ", target, " -> fiber ", node->id);
    } while (node != start);
    absl::StrAppend(&report.message, "\n  cycle: ", cycle);
    report.location = start->suspended_at;
    break;
  }
  return report;
}

}  // namespace corosim
