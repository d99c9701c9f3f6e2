// The readable text form of a trace: one event a line, with virtual time,
// fiber, event and source location.
//
//   t=0ns          fiber 1   suspend  mutex.lock at scenarios/bundled/deadlock.cpp:30
//   t=0ns          fiber 2   wake     by fiber 1
//
// tail_events > 0 prints only the last that many events (with a note of how
// many were left out), overall or per fiber; 0 prints all.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "corosim/sim/simulator.h"
#include "corosim/sim/trace.h"

namespace corosim {

struct TextTraceOptions {
  std::size_t tail_events = 0;
  // With tail_events: keep the last that many events of each fiber (and of
  // the scheduler), not of the whole run, marking the gaps.
  bool per_fiber = false;
  // Print only events before this index (the failure's, plus one): the
  // teardown that follows a failure is left out, with a note. 0: no limit.
  std::size_t end = 0;
};

void print_trace_text(const Trace& trace, std::ostream& out, TextTraceOptions options = {});

// What a failure report shows: each fiber's last `tail` events, up to the
// run's failure if it failed (the teardown after it left out).
TextTraceOptions failure_tail(const RunResult& run, std::size_t tail = 8);

// What the text form shows after the event's name: "by fiber 2",
// "mutex.lock at a.cpp:30", "deadline 5000000ns".
std::string event_details(const Trace& trace, const TraceEvent& event);

// Prefixes every line of text (a trailing newline gets no prefix after it):
// a report's indented blocks.
std::string indent(const std::string& text, const std::string& prefix);

}  // namespace corosim
