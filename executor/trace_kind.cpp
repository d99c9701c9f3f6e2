#include "corosim/executor/trace_kind.h"

namespace corosim {

const char* trace_kind_name(TraceKind kind) noexcept {
  switch (kind) {
    case TraceKind::spawn: return "spawn";
    case TraceKind::resume: return "resume";
    case TraceKind::suspend: return "suspend";
    case TraceKind::yield: return "yield";
    case TraceKind::wake: return "wake";
    case TraceKind::complete: return "complete";
    case TraceKind::drop: return "drop";
    case TraceKind::timer_fire: return "timer";
    case TraceKind::channel_send: return "send";
    case TraceKind::channel_recv: return "recv";
    case TraceKind::channel_close: return "close";
    case TraceKind::mutex_acquire: return "lock";
    case TraceKind::mutex_release: return "unlock";
    case TraceKind::semaphore_acquire: return "acquire";
    case TraceKind::semaphore_release: return "release";
    case TraceKind::event_set: return "set";
    case TraceKind::check_failed: return "FAILED";
    case TraceKind::cancel: return "CANCEL";
    case TraceKind::note: return "note";
    case TraceKind::notify: return "notify";
    case TraceKind::count: return "count";
    case TraceKind::token_cancel: return "cancel-token";
  }
  return "?";
}

}  // namespace corosim
