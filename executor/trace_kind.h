// The kinds of event a run's trace records. Primitives report theirs through
// Executor::trace(); the simulator stores them, the real-time loop ignores them.
#pragma once

#include <cstdint>

namespace corosim {

enum class TraceKind : std::uint8_t {
  spawn,              // fiber created; arg: spawning fiber id (or kNoFiber)
  resume,             // scheduler resumed the fiber
  suspend,            // fiber parked at a suspension point; location set
  yield,              // fiber parked by a forced suspension before the operand
  wake,               // fiber made ready; arg: waking fiber id (or kNoFiber for a timer)
  complete,           // root returned; value: 0 value, 1 exception
  drop,               // fiber's chain destroyed while suspended
  timer_fire,         // a sleep's deadline passed; value: deadline ns
  channel_send,       // arg: channel id
  channel_recv,       // arg: channel id
  channel_close,      // arg: channel id
  mutex_acquire,      // arg: mutex id
  mutex_release,      // arg: mutex id
  semaphore_acquire,  // arg: semaphore id, value: permits
  semaphore_release,  // arg: semaphore id, value: permits
  event_set,          // arg: event id
  check_failed,       // a checker or CORO_CHECK failed; location set
  cancel,             // cancellation injected at a suspension point; value: AwaitAction, location set
  note,               // user note; value: user datum
  notify,             // arg: notify or condvar id; value: 1 notify_one, 0 notify_all/notify_waiters
  count,              // arg: waitgroup, latch, barrier or watch id; value: count, arrivals or version
  token_cancel,       // arg: cancellation token id; value: CancelReason (1 cancelled, 2 deadline exceeded)
};

// Executor::counted_kinds_ holds one bit a kind.
static_assert(static_cast<unsigned>(TraceKind::token_cancel) < 32);

inline constexpr std::uint32_t kNoFiber = 0xffffffffu;

const char* trace_kind_name(TraceKind kind) noexcept;

}  // namespace corosim
