#include "corosim/replay/trace_text.h"

#include <iomanip>
#include <map>
#include <vector>
#include <sstream>

#include "corosim/executor/executor.h"
#include <string>

namespace corosim {

namespace {

const char* cancel_action_name(AwaitAction action) {
  switch (action) {
    case AwaitAction::cancel_drop: return "drop";
    case AwaitAction::cancel_stop: return "stop";
    case AwaitAction::cancel_prompt: return "prompt";
    case AwaitAction::cancel_interrupt: return "interrupt";
    case AwaitAction::proceed: return "stall";  // held here for the program's own canceller
    case AwaitAction::suspend_first: break;
  }
  return "?";
}

std::string fiber_label(std::uint32_t fiber) {
  return fiber == kNoFiber ? std::string("sched") : "fiber " + std::to_string(fiber);
}

void print_details(const Trace& trace, const TraceEvent& event, std::ostream& out) {
  switch (event.kind) {
    case TraceKind::spawn: out << "by " << fiber_label(event.arg); break;
    case TraceKind::wake:
      out << "by " << (event.arg == kNoFiber ? std::string("timer") : fiber_label(event.arg));
      break;
    case TraceKind::complete: out << (event.value != 0 ? "threw" : "returned"); break;
    case TraceKind::timer_fire: out << "deadline " << event.value << "ns"; break;
    case TraceKind::channel_send:
    case TraceKind::channel_recv:
    case TraceKind::channel_close: out << "channel#" << event.arg; break;
    case TraceKind::mutex_acquire:
    case TraceKind::mutex_release:
      // An RWMutex's holds carry their mode: 1 write, 2 read.
      out << (event.value == 0 ? "mutex#" : "rwmutex#") << event.arg;
      if (event.value != 0) out << (event.value == 1 ? " write" : " read");
      break;
    case TraceKind::semaphore_acquire:
    case TraceKind::semaphore_release: out << "semaphore#" << event.arg << " x" << event.value; break;
    case TraceKind::event_set: out << "event#" << event.arg; break;
    case TraceKind::note: out << event.value; break;
    case TraceKind::notify: out << "#" << event.arg << (event.value != 0 ? " one" : " all"); break;
    case TraceKind::count: out << "#" << event.arg << " = " << event.value; break;
    case TraceKind::token_cancel:
      out << "token#" << event.arg << (event.value == 2 ? " deadline exceeded" : " cancelled");
      break;
    case TraceKind::cancel: out << cancel_action_name(static_cast<AwaitAction>(event.value)); break;
    case TraceKind::suspend:
    case TraceKind::yield:
    case TraceKind::drop:
      if (event.location != kNoLocation) out << trace.location(event.location).what;
      break;
    case TraceKind::resume:
    case TraceKind::check_failed: break;
  }
  if (event.location != kNoLocation) {
    if (event.kind != TraceKind::check_failed) out << ' ';
    out << (event.kind == TraceKind::spawn ? "from " : "at ") << trace.location(event.location).where.str();
  }
}

}  // namespace

std::string event_details(const Trace& trace, const TraceEvent& event) {
  std::ostringstream out;
  print_details(trace, event, out);
  return out.str();
}

TextTraceOptions failure_tail(const RunResult& run, std::size_t tail) {
  TextTraceOptions options{tail, true};
  if (run.failure) options.end = run.failure->event + 1;
  return options;
}

void print_trace_text(const Trace& trace, std::ostream& out, TextTraceOptions options) {
  const auto& all_events = trace.events();
  const std::size_t end =
      options.end != 0 && options.end < all_events.size() ? options.end : all_events.size();
  const std::vector<TraceEvent> events(all_events.begin(),
                                       all_events.begin() + static_cast<std::ptrdiff_t>(end));
  std::vector<bool> shown(events.size(), true);
  if (options.tail_events != 0 && options.per_fiber) {
    // Walk back, keeping each fiber's last tail_events events.
    std::map<std::uint32_t, std::size_t> kept;
    for (std::size_t i = events.size(); i-- > 0;) shown[i] = ++kept[events[i].fiber] <= options.tail_events;
  } else if (options.tail_events != 0 && events.size() > options.tail_events) {
    for (std::size_t i = 0; i + options.tail_events < events.size(); ++i) shown[i] = false;
  }
  std::ostringstream line;
  std::size_t hidden = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!shown[i]) {
      ++hidden;
      continue;
    }
    if (hidden != 0) {
      out << "... " << hidden << (i == hidden ? " earlier" : "") << " event(s) not shown\n";
      hidden = 0;
    }
    const TraceEvent& event = events[i];
    line.str("");
    line << "t=" << std::left << std::setw(14) << (std::to_string(event.time_ns) + "ns") << std::setw(10)
         << fiber_label(event.fiber) << std::setw(9) << trace_kind_name(event.kind);
    print_details(trace, event, line);
    std::string text = line.str();
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << '\n';
  }
  if (end < all_events.size()) {
    out << "... " << (all_events.size() - end)
        << " later event(s) (the teardown after the failure) not shown\n";
  }
  if (trace.truncated()) {
    out << "... " << (trace.events_seen() - events.size())
        << " later event(s) were hashed but not stored (trace limit)\n";
  }
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\n' && i + 1 < text.size()) out += prefix;
  }
  return out;
}

}  // namespace corosim
