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

namespace {

// Chrome trace events for one run: a track per fiber (and one for timers),
// "running" slices from resume to park, instants for suspension points and
// cancellations, and flow arrows from waker to woken.
class PerfettoWriter {
 public:
  explicit PerfettoWriter(const Trace& trace) : trace_(trace), events_(trace.events()) {}

  void add(std::size_t i) {
    const TraceEvent& event = events_[i];
    const std::int64_t track = event.fiber == kNoFiber ? kTimerTrack : static_cast<std::int64_t>(event.fiber);
    tracks_.insert(track);
    switch (event.kind) {
      case TraceKind::resume: add_resume(i, track); break;
      case TraceKind::wake: add_wake(i); break;
      case TraceKind::suspend:
      case TraceKind::yield:
      case TraceKind::cancel:
      case TraceKind::check_failed:
      case TraceKind::drop:
      case TraceKind::spawn: {
        json instant = record("i", track, i,
                              absl::StrCat(trace_kind_name(event.kind), " ", event_details(trace_, event)));
        instant["s"] = "t";
        out_.push_back(std::move(instant));
        break;
      }
      default: break;
    }
    if (ends_running(event.kind) && event.fiber != kNoFiber) {
      if (auto since = running_since_.find(event.fiber); since != running_since_.end()) {
        add_slice(event.fiber, since->second, i);
        running_since_.erase(since);
      }
    }
  }

  json finish() {
    for (const auto& [fiber, since] : running_since_)
      add_slice(fiber, since, events_.size());  // still running
    for (std::int64_t track : tracks_) {
      const std::string name = track == kTimerTrack ? std::string("timers") : absl::StrCat("fiber ", track);
      out_.push_back(
          {{"ph", "M"}, {"pid", 1}, {"tid", track}, {"name", "thread_name"}, {"args", {{"name", name}}}});
    }
    return json{{"traceEvents", std::move(out_)}, {"displayTimeUnit", "ns"}};
  }

 private:
  json record(const char* phase, std::int64_t track, std::size_t at, std::string name) const {
    const TraceEvent& event = events_[at];
    json result = {{"ph", phase},
                   {"pid", 1},
                   {"tid", track},
                   {"ts", at},
                   {"name", std::move(name)},
                   {"args", {{"virtual_time_ns", event.time_ns}, {"event", at}}}};
    const std::string where = location_of(trace_, event);
    if (!where.empty()) result["args"]["at"] = where;
    return result;
  }

  void add_resume(std::size_t i, std::int64_t track) {
    const std::uint32_t fiber = events_[i].fiber;
    running_since_[fiber] = i;
    if (auto flow = pending_flow_.find(fiber); flow != pending_flow_.end()) {
      json finish = record("f", track, i, "wake");
      finish["id"] = flow->second;
      finish["bp"] = "e";
      finish["cat"] = "wake";
      out_.push_back(std::move(finish));
      pending_flow_.erase(flow);
    }
  }

  void add_wake(std::size_t i) {
    const TraceEvent& event = events_[i];
    const std::int64_t waker = event.arg == kNoFiber ? kTimerTrack : static_cast<std::int64_t>(event.arg);
    tracks_.insert(waker);
    json start = record("s", waker, i, "wake");
    start["id"] = next_flow_;
    start["cat"] = "wake";
    out_.push_back(std::move(start));
    if (waker == kTimerTrack) {
      json timer = record("i", kTimerTrack, i, absl::StrCat("timer wakes fiber ", event.fiber));
      timer["s"] = "t";
      out_.push_back(std::move(timer));
    }
    pending_flow_[event.fiber] = next_flow_++;
  }

  void add_slice(std::uint32_t fiber, std::size_t since, std::size_t end) {
    json slice = record("X", fiber, since, "running");
    slice["dur"] = std::max<std::size_t>(1, end - since);
    out_.push_back(std::move(slice));
  }

  const Trace& trace_;
  const std::vector<TraceEvent>& events_;
  json out_ = json::array();
  std::set<std::int64_t> tracks_;
  std::map<std::uint32_t, std::size_t> running_since_;   // fiber -> event index of its resume
  std::map<std::uint32_t, std::uint64_t> pending_flow_;  // woken fiber -> flow id
  std::uint64_t next_flow_ = 1;
};

}  // namespace

void write_trace_perfetto(const Trace& trace, std::ostream& out) {
  PerfettoWriter writer(trace);
  for (std::size_t i = 0; i < trace.events().size(); ++i) writer.add(i);
  out << writer.finish().dump() << '\n';
}

}  // namespace corosim
