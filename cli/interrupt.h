// SIGINT and SIGTERM during `run`: the run in flight finishes, the rest is
// skipped, and the summary (terminal and --json) says it was interrupted; the
// command then exits 128 + the signal, as a shell expects. A second signal
// ends the process at once. Internal to cli/.
#pragma once

namespace corosim::cli {

// Installs the handlers for the life of the process (idempotent).
void install_interrupt_handlers();

// The signal that asked to stop (SIGINT, SIGTERM), or 0.
int interrupt_signal() noexcept;

}  // namespace corosim::cli
