// Checker: the closed set of rules a run can break. One enum with one name
// table, so a misspelt expectation is a compile error, and a name read from
// text (a repro file, merged JSON) is checked against the table and answered
// with a "did you mean". The names are a contract: they appear in reports,
// repro files and the CLI's JSON, and are never renamed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace corosim {

enum class Checker : std::uint8_t {
  deadlock,           // nothing can run, main unfinished
  futurelock,         // a deadlock through a sub-future its owner does not poll
  escaped_exception,  // an exception nobody observed
  leak,               // fibers or frames alive after the run
  check,              // CORO_CHECK failed
  dangling_wait,      // a primitive destroyed while fibers waited on it
  stray_suspend,      // a fiber gave control back without parking at a corosim suspension point
  ledger,             // a conservation ledger does not balance
  cancel_safety,      // check_cancel_safety found a weaker verdict than claimed
  nondeterminism,     // the same decisions gave a different trace
  snooze,             // a ready sub-future left unpolled past the bound
  hogging,            // one resumption that never gave the scheduler a turn
  detached_cleanup,   // a spawn from a destructor: cleanup that runs detached
  detached_fiber,     // a detached fiber outlived the fiber that detached it
  unjoined_scope,     // a TaskScope destroyed without join()
  async_drop,         // an AsyncResource destroyed open
  use_after_close,    // an operation on a closed resource
  unawaited_task,     // a Task destroyed without being awaited (a forgotten co_await)
  real_time,          // the run read the real clock or slept the thread
  budget,             // the step or virtual-time budget ran out
  replay_diverged,    // a replayed run asked a decision its recording does not have
  cancel_liveness,    // a fiber asked to stop had not finished within the bound
  crash,              // the code under test died (a fatal signal, a sanitizer report): run --isolate
};

// Every checker, in declaration order.
std::span<const Checker> all_checkers() noexcept;
// The stable name: "deadlock", "escaped-exception", ...
const char* checker_name(Checker checker) noexcept;
// The checker with this name, if there is one.
std::optional<Checker> checker_from_name(std::string_view name) noexcept;
// For an unknown name: " (did you mean 'deadlock'?)", or the list of names
// when none is close.
std::string checker_suggestion(std::string_view unknown);

}  // namespace corosim
