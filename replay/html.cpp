#include "corosim/replay/html.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "corosim/replay/trace_text.h"

namespace corosim {

namespace {

// Beyond this many events only the last ones are drawn (the run up to its end,
// where failures are): a browser lays out a few ten thousand SVG shapes fine.
constexpr std::size_t kEventsDrawn = 20'000;
constexpr double kLabelWidth = 150;
constexpr double kLaneHeight = 30;
constexpr double kAxisHeight = 40;

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_time(std::uint64_t ns) {
  if (ns % 1'000'000 == 0) return absl::StrCat(ns / 1'000'000, "ms");
  if (ns % 1'000 == 0) return absl::StrCat(ns / 1'000, "µs");
  return absl::StrCat(ns, "ns");
}

std::string describe(const Trace& trace, const TraceEvent& event, std::size_t index) {
  return absl::StrCat(
      "#", index, " t=", format_time(event.time_ns), " ",
      event.fiber == kNoFiber ? std::string("scheduler") : absl::StrCat("fiber ", event.fiber), " ",
      trace_kind_name(event.kind), " ", event_details(trace, event));
}

// Where everything goes: the drawn events, one lane per fiber, and the
// coordinates of an event (x, by index) and of a fiber's lane (y).
struct Timeline {
  explicit Timeline(const Trace& trace) : events(trace.events()) {
    first = events.size() > kEventsDrawn ? events.size() - kEventsDrawn : 0;
    for (std::size_t i = first; i < events.size(); ++i) {
      if (events[i].fiber != kNoFiber) lane_of.emplace(events[i].fiber, 0);
    }
    std::size_t lane = 0;
    for (auto& [fiber, index] : lane_of) index = lane++;  // in id order
    shown = events.size() - first;
    step = std::clamp(1200.0 / static_cast<double>(std::max<std::size_t>(shown, 1)), 3.0, 24.0);
    width = kLabelWidth + step * static_cast<double>(shown + 1) + 80;  // room for "FAILED"
    height = kAxisHeight + kLaneHeight * static_cast<double>(lane_of.size()) + 20;
  }
  double x(std::size_t i) const { return kLabelWidth + step * (static_cast<double>(i - first) + 0.5); }
  double y(std::uint32_t fiber) const {
    return kAxisHeight + kLaneHeight * static_cast<double>(lane_of.at(fiber)) + kLaneHeight / 2;
  }

  const std::vector<TraceEvent>& events;
  std::size_t first = 0;
  std::size_t shown = 0;
  std::map<std::uint32_t, std::size_t> lane_of;
  double step = 0;
  double width = 0;
  double height = 0;
};

void write_head(const HtmlHeading& heading, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>corosim: "
      << escape(heading.title) << "</title>\n<style>\n"
      << "body{font:13px system-ui,sans-serif;margin:16px;color:#222}\n"
      << "h1{font-size:18px;margin:0 0 4px}\n.summary{white-space:pre-wrap;margin:0 0 12px;color:#444}\n"
      << ".lane-bg{fill:#f5f6f8}.lane-label{font:12px monospace;fill:#333}\n"
      << ".run{fill:#4c8bf5}.park{fill:#fff;stroke:#4c8bf5;stroke-width:1.5}\n"
      << ".cancel{fill:#e8710a}.failed{stroke:#d93025;stroke-width:2}.failed-label{fill:#d93025;font-weight:"
         "bold}\n"
      << ".wake{stroke:#8a8f98;stroke-width:1;marker-end:url(#arrow)}.timer{stroke:#34a853}\n"
      << ".tick{stroke:#c4c8cf}.tick-label{font:11px monospace;fill:#555}\n"
      << ".legend span{display:inline-block;margin-right:14px}\n"
      << "</style></head><body>\n<h1>" << escape(heading.title) << "</h1>\n<p class=\"summary\">"
      << escape(heading.summary) << "</p>\n<p class=\"legend\"><span>blue bar: the fiber runs</span>"
      << "<span>circle: a suspension point (hover: what and where)</span><span>orange: injected "
         "cancellation</span>"
      << "<span>grey arrow: wake-up (green: by a timer)</span><span>red line: the checker "
         "failure</span></p>\n";
}

void write_lanes(const Timeline& timeline, std::ostream& out) {
  for (const auto& [fiber, index] : timeline.lane_of) {
    const double top = kAxisHeight + kLaneHeight * static_cast<double>(index);
    out << absl::StrFormat(
        "<g class=\"lane\" data-fiber=\"%d\"><rect class=\"lane-bg\" x=\"0\" y=\"%.1f\" width=\"%.0f\" "
        "height=\"%.1f\"/><text class=\"lane-label\" x=\"8\" y=\"%.1f\">%s</text></g>\n",
        fiber, top + 2, timeline.width, kLaneHeight - 4, top + kLaneHeight / 2 + 4,
        fiber == 0 ? std::string("fiber 0 (main)") : absl::StrCat("fiber ", fiber));
  }
}

// The virtual-time axis: a tick wherever time advances, labelled when there is room.
void write_axis(const Timeline& timeline, std::ostream& out) {
  const auto& events = timeline.events;
  double last_label = -1e9;
  for (std::size_t i = timeline.first; i < events.size(); ++i) {
    if (i != timeline.first && events[i].time_ns == events[i - 1].time_ns) continue;
    const double at = timeline.x(i) - timeline.step / 2;
    out << absl::StrFormat("<line class=\"tick\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>\n", at,
                           kAxisHeight - 8, at, timeline.height - 20);
    if (at - last_label >= 70) {
      out << absl::StrFormat("<text class=\"tick-label\" x=\"%.1f\" y=\"%.0f\">t=%s</text>\n", at + 2,
                             kAxisHeight - 12, format_time(events[i].time_ns));
      last_label = at;
    }
  }
}

// One event's mark: a suspension point, a cancellation, a wake-up arrow, the failure.
void write_mark(const Timeline& timeline, std::size_t i, const std::string& title, std::ostream& out) {
  const TraceEvent& event = timeline.events[i];
  const double x = timeline.x(i);
  switch (event.kind) {
    case TraceKind::suspend:
    case TraceKind::yield:
      out << absl::StrFormat(
          "<circle class=\"park\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>%s</title></circle>\n", x,
          timeline.y(event.fiber), title);
      break;
    case TraceKind::cancel:
      out << absl::StrFormat("<path class=\"cancel\" d=\"M%.1f,%.1fl6,10h-12z\"><title>%s</title></path>\n",
                             x, timeline.y(event.fiber) - 12, title);
      break;
    case TraceKind::wake: {
      const bool by_timer = event.arg == kNoFiber || timeline.lane_of.count(event.arg) == 0;
      const double from = by_timer ? kAxisHeight - 4 : timeline.y(event.arg);
      const double to = timeline.y(event.fiber);
      out << absl::StrFormat(
          "<line class=\"wake%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"><title>%s</title></line>\n",
          by_timer ? " timer" : "", x - timeline.step / 2, from, x, to + (from < to ? -6 : 6), title);
      break;
    }
    case TraceKind::check_failed:
      out << absl::StrFormat(
          "<line class=\"failed\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"><title>%s</title></line>\n"
          "<text class=\"failed-label\" x=\"%.1f\" y=\"%.0f\">FAILED</text>\n",
          x, kAxisHeight - 6, x, timeline.height - 20, title, x + 4, timeline.height - 6);
      break;
    default: break;
  }
}

// Running spans (resume to suspend, completion or drop) and every event's mark.
void write_events(const Trace& trace, const Timeline& timeline, std::ostream& out) {
  const auto& events = timeline.events;
  std::map<std::uint32_t, std::size_t> running_since;
  const auto close_span = [&](std::uint32_t fiber, std::size_t end) {
    auto found = running_since.find(fiber);
    if (found == running_since.end()) return;
    out << absl::StrFormat("<rect class=\"run\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\"/>\n",
                           timeline.x(found->second), timeline.y(fiber) - 5,
                           std::max(timeline.x(end) - timeline.x(found->second), 2.0));
    running_since.erase(found);
  };
  for (std::size_t i = timeline.first; i < events.size(); ++i) {
    const TraceEvent& event = events[i];
    if (event.kind == TraceKind::resume) running_since[event.fiber] = i;
    const bool ends_span = event.kind == TraceKind::suspend || event.kind == TraceKind::yield ||
                           event.kind == TraceKind::complete || event.kind == TraceKind::drop;
    if (ends_span) close_span(event.fiber, i);
    write_mark(timeline, i, escape(describe(trace, event, i)), out);
  }
  for (auto it = running_since.begin(); it != running_since.end();) {
    const std::uint32_t fiber = it->first;
    ++it;
    close_span(fiber, events.size() - 1);
  }
}

}  // namespace

void write_trace_html(const Trace& trace, const HtmlHeading& heading, std::ostream& out) {
  const Timeline timeline(trace);
  write_head(heading, out);
  if (timeline.first != 0) {
    out << "<p>The run has " << timeline.events.size() << " events; the last " << timeline.shown
        << " are drawn.</p>\n";
  }
  out << absl::StrFormat("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n",
                         timeline.width, timeline.height)
      << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" "
         "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" "
         "fill=\"#8a8f98\"/></marker></defs>\n";
  write_lanes(timeline, out);
  write_axis(timeline, out);
  write_events(trace, timeline, out);
  out << "</svg>\n</body></html>\n";
}

}  // namespace corosim
