#include "corosim/cli/interrupt.h"

#include <unistd.h>

#include <csignal>

namespace corosim::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;

void on_interrupt(int signal) {
  if (g_signal != 0) {
    // The second one: the user means it.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_signal = signal;
  constexpr char kMessage[] =
      "\ncorosim: interrupted; finishing the run in flight and writing the summary (again to quit now)\n";
  // write() is async-signal-safe; its result is of no use here.
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action{};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() noexcept { return g_signal; }

}  // namespace corosim::cli
