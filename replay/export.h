// Trace exporters: the same events for other readers.
//
// - columns: one column per fiber, one row per event, so interleavings read
//   across; for humans with a wide terminal.
// - JSON Lines: one object per event: {"i","t_ns","fiber","event","arg",
//   "value","at","what","details"}; for scripts.
// - Chrome trace event JSON (Perfetto, chrome://tracing): one track per fiber
//   (named "fiber N"), a slice for each span a fiber runs, instant events for
//   suspensions, cancellations and the checker failure, and flow arrows from
//   whoever woke a fiber to its next run. Within one virtual instant many
//   events happen, so the time axis is the event index (1 µs each); the
//   virtual time is in every event's args.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "corosim/sim/trace.h"

namespace corosim {

enum class TraceFormat { text, columns, jsonl, perfetto };

absl::StatusOr<TraceFormat> parse_trace_format(std::string_view name);

void write_trace_columns(const Trace& trace, std::ostream& out);
void write_trace_jsonl(const Trace& trace, std::ostream& out);
void write_trace_perfetto(const Trace& trace, std::ostream& out);

}  // namespace corosim
