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
  return absl::StrCat("#", index, " t=", format_time(event.time_ns), " ",
                      event.fiber == kNoFiber ? std::string("scheduler") : absl::StrCat("fiber ", event.fiber), " ",
                      trace_kind_name(event.kind), " ", event_details(trace, event));
}

}  // namespace

void write_trace_html(const Trace& trace, const HtmlHeading& heading, std::ostream& out) {
  const auto& events = trace.events();
  const std::size_t first = events.size() > kEventsDrawn ? events.size() - kEventsDrawn : 0;

  // Lanes: every fiber that appears, in id order.
  std::map<std::uint32_t, std::size_t> lane_of;
  for (std::size_t i = first; i < events.size(); ++i) {
    if (events[i].fiber != kNoFiber) lane_of.emplace(events[i].fiber, 0);
  }
  std::size_t lane = 0;
  for (auto& [fiber, index] : lane_of) index = lane++;

  const std::size_t shown = events.size() - first;
  const double step = std::clamp(1200.0 / static_cast<double>(std::max<std::size_t>(shown, 1)), 3.0, 24.0);
  const double width = kLabelWidth + step * static_cast<double>(shown + 1) + 80;  // room for "FAILED"
  const double height = kAxisHeight + kLaneHeight * static_cast<double>(lane_of.size()) + 20;
  const auto x = [&](std::size_t i) { return kLabelWidth + step * (static_cast<double>(i - first) + 0.5); };
  const auto y = [&](std::uint32_t fiber) {
    return kAxisHeight + kLaneHeight * static_cast<double>(lane_of.at(fiber)) + kLaneHeight / 2;
  };

  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>corosim: "
      << escape(heading.title) << "</title>\n<style>\n"
      << "body{font:13px system-ui,sans-serif;margin:16px;color:#222}\n"
      << "h1{font-size:18px;margin:0 0 4px}\n.summary{white-space:pre-wrap;margin:0 0 12px;color:#444}\n"
      << ".lane-bg{fill:#f5f6f8}.lane-label{font:12px monospace;fill:#333}\n"
      << ".run{fill:#4c8bf5}.park{fill:#fff;stroke:#4c8bf5;stroke-width:1.5}\n"
      << ".cancel{fill:#e8710a}.failed{stroke:#d93025;stroke-width:2}.failed-label{fill:#d93025;font-weight:bold}\n"
      << ".wake{stroke:#8a8f98;stroke-width:1;marker-end:url(#arrow)}.timer{stroke:#34a853}\n"
      << ".tick{stroke:#c4c8cf}.tick-label{font:11px monospace;fill:#555}\n"
      << ".legend span{display:inline-block;margin-right:14px}\n"
      << "</style></head><body>\n<h1>" << escape(heading.title) << "</h1>\n<p class=\"summary\">"
      << escape(heading.summary) << "</p>\n<p class=\"legend\"><span>blue bar: the fiber runs</span>"
      << "<span>circle: a suspension point (hover: what and where)</span><span>orange: injected cancellation</span>"
      << "<span>grey arrow: wake-up (green: by a timer)</span><span>red line: the checker failure</span></p>\n";
  if (first != 0) {
    out << "<p>The run has " << events.size() << " events; the last " << shown << " are drawn.</p>\n";
  }
  out << absl::StrFormat("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n", width,
                         height)
      << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" "
         "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#8a8f98\"/></marker></defs>\n";

  // Lanes.
  for (const auto& [fiber, index] : lane_of) {
    const double top = kAxisHeight + kLaneHeight * static_cast<double>(index);
    out << absl::StrFormat(
        "<g class=\"lane\" data-fiber=\"%d\"><rect class=\"lane-bg\" x=\"0\" y=\"%.1f\" width=\"%.0f\" "
        "height=\"%.1f\"/><text class=\"lane-label\" x=\"8\" y=\"%.1f\">%s</text></g>\n",
        fiber, top + 2, width, kLaneHeight - 4, top + kLaneHeight / 2 + 4,
        fiber == 0 ? std::string("fiber 0 (main)") : absl::StrCat("fiber ", fiber));
  }

  // The virtual-time axis: a tick wherever time advances, labelled when there is room.
  double last_label = -1e9;
  for (std::size_t i = first; i < events.size(); ++i) {
    if (i != first && events[i].time_ns == events[i - 1].time_ns) continue;
    const double at = x(i) - step / 2;
    out << absl::StrFormat("<line class=\"tick\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>\n", at,
                           kAxisHeight - 8, at, height - 20);
    if (at - last_label >= 70) {
      out << absl::StrFormat("<text class=\"tick-label\" x=\"%.1f\" y=\"%.0f\">t=%s</text>\n", at + 2,
                             kAxisHeight - 12, format_time(events[i].time_ns));
      last_label = at;
    }
  }

  // Spans, suspension points, cancellations, wake-ups, the failure.
  std::map<std::uint32_t, std::size_t> running_since;
  const auto close_span = [&](std::uint32_t fiber, std::size_t end) {
    auto found = running_since.find(fiber);
    if (found == running_since.end()) return;
    out << absl::StrFormat("<rect class=\"run\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\"/>\n",
                           x(found->second), y(fiber) - 5, std::max(x(end) - x(found->second), 2.0));
    running_since.erase(found);
  };
  for (std::size_t i = first; i < events.size(); ++i) {
    const TraceEvent& event = events[i];
    const std::string title = escape(describe(trace, event, i));
    switch (event.kind) {
      case TraceKind::resume:
        running_since[event.fiber] = i;
        break;
      case TraceKind::suspend:
      case TraceKind::yield:
        close_span(event.fiber, i);
        out << absl::StrFormat("<circle class=\"park\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>%s</title></circle>\n",
                               x(i), y(event.fiber), title);
        break;
      case TraceKind::complete:
      case TraceKind::drop:
        close_span(event.fiber, i);
        break;
      case TraceKind::cancel:
        out << absl::StrFormat(
            "<path class=\"cancel\" d=\"M%.1f,%.1fl6,10h-12z\"><title>%s</title></path>\n", x(i),
            y(event.fiber) - 12, title);
        break;
      case TraceKind::wake: {
        const bool by_timer = event.arg == kNoFiber || lane_of.count(event.arg) == 0;
        const double from = by_timer ? kAxisHeight - 4 : y(event.arg);
        out << absl::StrFormat(
            "<line class=\"wake%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"><title>%s</title></line>\n",
            by_timer ? " timer" : "", x(i) - step / 2, from, x(i), y(event.fiber) + (from < y(event.fiber) ? -6 : 6),
            title);
        break;
      }
      case TraceKind::check_failed:
        out << absl::StrFormat(
            "<line class=\"failed\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"><title>%s</title></line>\n"
            "<text class=\"failed-label\" x=\"%.1f\" y=\"%.0f\">FAILED</text>\n",
            x(i), kAxisHeight - 6, x(i), height - 20, title, x(i) + 4, height - 6);
        break;
      default:
        break;
    }
  }
  for (auto it = running_since.begin(); it != running_since.end();) {
    const std::uint32_t fiber = it->first;
    ++it;
    close_span(fiber, events.size() - 1);
  }
  out << "</svg>\n</body></html>\n";
}

}  // namespace corosim
