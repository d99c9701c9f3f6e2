// A picture of a run: one self-contained HTML file (inline SVG and CSS, no
// script, no network fetch) with a lane per fiber, the spans each fiber runs,
// its suspension points (the awaited operation and source line on hover),
// injected cancellations, the checker failure, and an arrow from whoever woke
// a fiber. Within one virtual instant many steps happen, so events are laid
// out in step order; the axis above is labelled with the virtual time where
// it advances.
#pragma once

#include <ostream>
#include <string>

#include "corosim/sim/trace.h"

namespace corosim {

struct HtmlHeading {
  std::string title;    // "select/read_send_loop"
  std::string summary;  // "failed: check at read_send.cpp:82 ..."
};

void write_trace_html(const Trace& trace, const HtmlHeading& heading, std::ostream& out);

}  // namespace corosim
