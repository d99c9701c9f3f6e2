#include "corosim/replay/export.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "corosim/replay/trace_text.h"

namespace corosim {

namespace {

using nlohmann::json;

// The timers' track in Perfetto (wake-ups by a timer start there).
constexpr std::int64_t kTimerTrack = -1;

bool ends_running(TraceKind kind) {
  return kind == TraceKind::suspend || kind == TraceKind::yield || kind == TraceKind::complete ||
         kind == TraceKind::drop;
}

std::string location_of(const Trace& trace, const TraceEvent& event) {
  return event.location == kNoLocation ? std::string() : trace.location(event.location).where.str();
}

}  // namespace

absl::StatusOr<TraceFormat> parse_trace_format(std::string_view name) {
  if (name == "text") return TraceFormat::text;
  if (name == "columns") return TraceFormat::columns;
  if (name == "jsonl") return TraceFormat::jsonl;
  if (name == "perfetto") return TraceFormat::perfetto;
  return absl::InvalidArgumentError(absl::StrCat("unknown trace format '", std::string(name),
                                                 "' (choose one of: text, columns, jsonl, perfetto)"));
}

void write_trace_columns(const Trace& trace, std::ostream& out) {
  constexpr std::size_t kWidth = 30;
  std::set<std::uint32_t> fibers;
  for (const TraceEvent& event : trace.events()) {
    if (event.fiber != kNoFiber) fibers.insert(event.fiber);
  }
  const std::vector<std::uint32_t> columns(fibers.begin(), fibers.end());
  auto cell = [&](std::string text) {
    if (text.size() > kWidth - 1) text = text.substr(0, kWidth - 2) + "~";
    text.resize(kWidth, ' ');
    return text;
  };
  std::string header = cell("time");
  for (std::uint32_t fiber : columns) header += cell(absl::StrCat("fiber ", fiber));
  header.erase(header.find_last_not_of(' ') + 1);
  out << header << '\n' << std::string(header.size(), '-') << '\n';
  for (const TraceEvent& event : trace.events()) {
    std::string row = cell(absl::StrCat(event.time_ns, "ns"));
    const std::string text = absl::StrCat(trace_kind_name(event.kind), " ", event_details(trace, event));
    if (event.fiber == kNoFiber) {
      row += text;  // the scheduler's own events run across
    } else {
      for (std::uint32_t fiber : columns) row += fiber == event.fiber ? cell(text) : cell("");
    }
    row.erase(row.find_last_not_of(' ') + 1);
    out << row << '\n';
  }
}

void write_trace_jsonl(const Trace& trace, std::ostream& out) {
  const auto& events = trace.events();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& event = events[i];
    json line = {{"i", i},
                 {"t_ns", event.time_ns},
                 {"fiber", event.fiber == kNoFiber ? json(nullptr) : json(event.fiber)},
                 {"event", trace_kind_name(event.kind)},
                 {"arg", event.arg == kNoFiber ? json(nullptr) : json(event.arg)},
                 {"value", event.value},
                 {"at", location_of(trace, event)},
                 {"what", event.location == kNoLocation ? "" : trace.location(event.location).what},
                 {"details", event_details(trace, event)}};
    out << line.dump() << '\n';
  }
}

void write_trace_perfetto(const Trace& trace, std::ostream& out) {
  const auto& events = trace.events();
  json trace_events = json::array();
  std::set<std::int64_t> tracks;
  std::map<std::uint32_t, std::size_t> running_since;  // fiber -> event index of its resume
  std::map<std::uint32_t, std::uint64_t> pending_flow;  // woken fiber -> flow id
  std::uint64_t next_flow = 1;
  auto base = [&](const char* phase, std::int64_t track, std::size_t at, std::string name) {
    const TraceEvent& event = events[at];
    json record = {{"ph", phase},
                   {"pid", 1},
                   {"tid", track},
                   {"ts", at},
                   {"name", std::move(name)},
                   {"args", {{"virtual_time_ns", event.time_ns}, {"event", at}}}};
    const std::string where = location_of(trace, event);
    if (!where.empty()) record["args"]["at"] = where;
    return record;
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& event = events[i];
    const std::int64_t track = event.fiber == kNoFiber ? kTimerTrack : static_cast<std::int64_t>(event.fiber);
    tracks.insert(track);
    switch (event.kind) {
      case TraceKind::resume: {
        running_since[event.fiber] = i;
        if (auto flow = pending_flow.find(event.fiber); flow != pending_flow.end()) {
          json finish = base("f", track, i, "wake");
          finish["id"] = flow->second;
          finish["bp"] = "e";
          finish["cat"] = "wake";
          trace_events.push_back(std::move(finish));
          pending_flow.erase(flow);
        }
        break;
      }
      case TraceKind::wake: {
        const std::int64_t waker = event.arg == kNoFiber ? kTimerTrack : static_cast<std::int64_t>(event.arg);
        tracks.insert(waker);
        json start = base("s", waker, i, "wake");
        start["id"] = next_flow;
        start["cat"] = "wake";
        trace_events.push_back(std::move(start));
        if (waker == kTimerTrack) {
          json timer = base("i", kTimerTrack, i, absl::StrCat("timer wakes fiber ", event.fiber));
          timer["s"] = "t";
          trace_events.push_back(std::move(timer));
        }
        pending_flow[event.fiber] = next_flow++;
        break;
      }
      case TraceKind::suspend:
      case TraceKind::yield:
      case TraceKind::cancel:
      case TraceKind::check_failed:
      case TraceKind::drop:
      case TraceKind::spawn: {
        json instant = base("i", track, i,
                            absl::StrCat(trace_kind_name(event.kind), " ", event_details(trace, event)));
        instant["s"] = "t";
        trace_events.push_back(std::move(instant));
        break;
      }
      default:
        break;
    }
    if (ends_running(event.kind) && event.fiber != kNoFiber) {
      if (auto since = running_since.find(event.fiber); since != running_since.end()) {
        json slice = base("X", track, since->second, "running");
        slice["dur"] = std::max<std::size_t>(1, i - since->second);
        trace_events.push_back(std::move(slice));
        running_since.erase(since);
      }
    }
  }
  for (const auto& [fiber, since] : running_since) {  // still running at the end
    json slice = base("X", fiber, since, "running");
    slice["dur"] = std::max<std::size_t>(1, events.size() - since);
    trace_events.push_back(std::move(slice));
  }
  for (std::int64_t track : tracks) {
    const std::string name = track == kTimerTrack ? std::string("timers") : absl::StrCat("fiber ", track);
    trace_events.push_back({{"ph", "M"}, {"pid", 1}, {"tid", track}, {"name", "thread_name"},
                            {"args", {{"name", name}}}});
  }
  json document = {{"traceEvents", trace_events}, {"displayTimeUnit", "ns"}};
  out << document.dump() << '\n';
}

}  // namespace corosim
