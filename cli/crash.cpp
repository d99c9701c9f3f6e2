#include "corosim/cli/crash.h"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "corosim/replay/repro.h"

// Provided by a sanitizer runtime when one is linked in; null otherwise.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace corosim::cli {

namespace {

// Everything the handler reads is here, written before a run starts: the
// handler formats with write() and its own digits, allocating nothing.
struct InFlight {
  char scenario[256] = {};
  char strategy[128] = {};
  char rerun_prefix[1024] = {};
  char modes[96] = {};  // a random plan's modes, "drop,stop"
  bool reproducible = true;
  volatile bool running = false;
  std::uint64_t seed = 0;
  int version = kReproVersion;  // the rule the run's decisions follow
  CancelPlan::Kind kind = CancelPlan::Kind::none;
  std::uint64_t point = 0;
  const char* mode = "";
  std::uint64_t runs_started = 0;  // of this scenario, the one in flight included
  int record_fd = -1;              // --isolate: the parent's pipe
  bool once = false;               // a random plan's "at most one injection"
  std::uint64_t steps_max = 0;
  std::uint64_t time_max_ns = kReproTimeMaxDefaultNs;
  std::uint64_t timer_jitter_ns = 0;
  const DecisionLog* decisions = nullptr;  // the run in flight records into it
  char repro_folder[1024] = {};            // --out; empty: no repro
  char repro_path[1400] = {};              // built when the crash is reported
};

InFlight g_in_flight;
volatile std::sig_atomic_t g_reported = 0;

void copy(char* to, std::size_t size, const std::string& from) {
  const std::size_t n = from.size() < size - 1 ? from.size() : size - 1;
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

// Where put() writes: stderr, or the record for the parent (--isolate).
int g_out = STDERR_FILENO;

void put(const char* text) { [[maybe_unused]] auto n = ::write(g_out, text, std::strlen(text)); }

// value in decimal, in digits (no allocation): the returned text points into it.
const char* decimal(std::uint64_t value, char (&digits)[24]) {
  char* at = digits + sizeof digits;
  *--at = '\0';
  do {
    *--at = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return at;
}

void put_number(std::uint64_t value) {
  char digits[24];
  put(decimal(value, digits));
}

void put_cancel_flags() {
  switch (g_in_flight.kind) {
    case CancelPlan::Kind::none: put(" --cancel none"); return;
    case CancelPlan::Kind::at_point:
      put(" --cancel-at ");
      put_number(g_in_flight.point);
      put(" --cancel-modes ");
      put(g_in_flight.mode);
      return;
    case CancelPlan::Kind::random:
      put(" --cancel random --cancel-modes ");
      put(g_in_flight.modes);
      return;
  }
}

// Appends text to the fixed buffer `to` (size bytes), truncating.
void append(char* to, std::size_t size, const char* text) {
  std::size_t at = std::strlen(to);
  while (*text != '\0' && at + 1 < size) to[at++] = *text++;
  to[at] = '\0';
}

void append_number(char* to, std::size_t size, std::uint64_t value) {
  char digits[24];
  append(to, size, decimal(value, digits));
}

// The cancel field as repro files write it (replay/repro.cpp format_cancel).
void put_repro_cancel() {
  switch (g_in_flight.kind) {
    case CancelPlan::Kind::none: put("none"); return;
    case CancelPlan::Kind::at_point:
      put("point=");
      put_number(g_in_flight.point);
      put(" mode=");
      put(g_in_flight.mode);
      return;
    case CancelPlan::Kind::random:
      put("random modes=");
      put(g_in_flight.modes);
      if (g_in_flight.once) put(" once");
      return;
  }
}

void put_decisions(const DecisionLog& decisions) {
  bool first = true;
  for_each_decision_run(decisions, [&](const Decision& decision, std::size_t repeat) {
    const char letter[2] = {kind_letter(decision.kind), '\0'};
    put(first ? "" : " ");
    first = false;
    put(letter);
    put_number(decision.value);
    put("/");
    put_number(decision.n);
    if (repeat > 1) {
      put("*");
      put_number(repeat);
    }
  });
}

// The run in flight as a repro: its decisions up to the crash, so a replay
// (under a debugger: gdb --args corosim replay FILE) crashes the same way.
// Written with write() and rename() only; false if it could not be.
bool write_crash_repro(const char* what) {
  if (g_in_flight.repro_folder[0] == '\0' || g_in_flight.decisions == nullptr) return false;
  char* path = g_in_flight.repro_path;
  const std::size_t size = sizeof g_in_flight.repro_path;
  path[0] = '\0';
  append(path, size, g_in_flight.repro_folder);
  append(path, size, "/");
  const std::size_t name_at = std::strlen(path);
  append(path, size, g_in_flight.scenario);
  for (char* c = path + name_at; *c != '\0'; ++c) {
    if (*c == '/') *c = '_';
  }
  append(path, size, "-crash-seed");
  append_number(path, size, g_in_flight.seed);
  append(path, size, ".repro");
  char temporary[sizeof g_in_flight.repro_path + 8] = {};
  append(temporary, sizeof temporary, path);
  append(temporary, sizeof temporary, ".tmp");
  const int fd = ::open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  g_out = fd;
  put("corosim-repro ");
  put_number(static_cast<std::uint64_t>(g_in_flight.version));
  put("\n# the run in flight when the code under test crashed: replaying it crashes the same "
      "way\nscenario: ");
  put(g_in_flight.scenario);
  put("\nstrategy: ");
  put(g_in_flight.strategy);
  put(" seed=");
  put_number(g_in_flight.seed);
  put("\ncancel: ");
  put_repro_cancel();
  put("\nsteps-max: ");
  put_number(g_in_flight.steps_max);
  if (g_in_flight.time_max_ns != kReproTimeMaxDefaultNs) {
    put("\ntime-max-ns: ");
    put_number(g_in_flight.time_max_ns);
  }
  if (g_in_flight.timer_jitter_ns != 0) {
    put("\ntimer-jitter-ns: ");
    put_number(g_in_flight.timer_jitter_ns);
  }
  put("\ndecisions: ");
  put_decisions(*g_in_flight.decisions);
  put("\nfailure: crash: ");
  put(what);
  put("\nlocation: ?\ntrace-hash: 0000000000000000\n");
  g_out = STDERR_FILENO;
  ::close(fd);
  return ::rename(temporary, path) == 0;
}

void put_rerun() {
  put(g_in_flight.rerun_prefix);
  if (g_in_flight.reproducible) {
    put(" --seed ");
    put_number(g_in_flight.seed);
    put_cancel_flags();
    put(" --trace");
  }
}

// Says which run was in flight, once (a signal after a sanitizer report, or
// an abort inside the handler's own path, prints nothing more).
void report(const char* what) {
  if (g_reported != 0 || !g_in_flight.running) return;
  g_reported = 1;
  put("\ncorosim: ");
  put(what);
  put(" in a run of ");
  put(g_in_flight.scenario);
  put(", seed ");
  put_number(g_in_flight.seed);
  put(", strategy ");
  put(g_in_flight.strategy);
  put(", cancellation:");
  put_cancel_flags();
  put("\n  rerun: ");
  put_rerun();
  put("\n");
  // Last: the decision stream may be what the crash corrupted.
  const bool repro = write_crash_repro(what);
  if (repro) {
    put("  repro: ");
    put(g_in_flight.repro_path);
    put(" (its decisions up to the crash; replaying it crashes the same way)\n");
  }
  if (g_in_flight.record_fd < 0) {
    // The scenarios after this one will not run, nor will the summary print.
    put("  --isolate runs each scenario in a child process: a crash then fails its own scenario "
        "and the others still run\n");
  }
  // g++ 12 turns some correct coroutine code into crashes that look like the
  // program's own (a temporary destroyed twice): worth a line, under the
  // compiler that built this library and most likely the program too.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
  put("  note: built with g++ 12, which miscompiles some correct coroutine code into crashes like "
      "this one (docs/user-guide.md, \"Compilers\", lists the patterns); the same test built with "
      "clang 19 tells a compiler bug from the program's own\n");
#endif
  if (g_in_flight.record_fd >= 0) {
    // One line the parent parses: seed, runs started, what, rerun line.
    g_out = g_in_flight.record_fd;
    put("crash\t");
    put_number(g_in_flight.seed);
    put("\t");
    put_number(g_in_flight.runs_started);
    put("\t");
    put(what);
    put("\t");
    put(repro ? g_in_flight.repro_path : "");
    put("\t");
    put_rerun();
    put("\n");
    g_out = STDERR_FILENO;
  }
}

const char* signal_text(int signal) {
  switch (signal) {
    case SIGSEGV: return "fatal signal SIGSEGV (invalid memory access)";
    case SIGBUS: return "fatal signal SIGBUS (bus error)";
    case SIGABRT: return "fatal signal SIGABRT (abort: a failed assert or std::terminate?)";
    case SIGFPE: return "fatal signal SIGFPE (arithmetic error)";
    case SIGILL: return "fatal signal SIGILL (illegal instruction)";
  }
  return "fatal signal";
}

void on_fatal_signal(int signal) {
  report(signal_text(signal));
  // Die of the same signal, as the shell and CI expect.
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void on_sanitizer_death() { report("a sanitizer report"); }

}  // namespace

void install_crash_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction action{};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_NODEFER;
  for (int signal : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) {
    struct sigaction old{};
    sigaction(signal, nullptr, &old);
    // A sanitizer that took SIGSEGV reports it itself, then calls the death callback.
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) continue;
    sigaction(signal, &action, nullptr);
  }
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(on_sanitizer_death);
}

void set_crash_scenario(const std::string& name, const std::string& strategy, const std::string& rerun_prefix,
                        bool reproducible) {
  copy(g_in_flight.scenario, sizeof g_in_flight.scenario, name);
  copy(g_in_flight.strategy, sizeof g_in_flight.strategy, strategy);
  copy(g_in_flight.rerun_prefix, sizeof g_in_flight.rerun_prefix, rerun_prefix);
  g_in_flight.reproducible = reproducible;
  g_in_flight.runs_started = 0;
}

void set_crash_record_fd(int fd) noexcept { g_in_flight.record_fd = fd; }

void set_crash_repro_folder(const std::string& folder) {
  copy(g_in_flight.repro_folder, sizeof g_in_flight.repro_folder, folder);
}

void set_run_in_flight(std::uint64_t seed, const SimOptions& sim, const DecisionLog& decisions) noexcept {
  const CancelPlan& plan = sim.cancel;
  g_in_flight.decisions = &decisions;
  g_in_flight.steps_max = sim.steps_max;
  g_in_flight.time_max_ns = sim.time_max_ns;
  g_in_flight.timer_jitter_ns = sim.timer_jitter_ns;
  g_in_flight.version = repro_version_for(sim.decide_before_yield_now, sim.decide_before_parking);
  g_in_flight.once = plan.once;
  g_in_flight.seed = seed;
  g_in_flight.kind = plan.kind;
  g_in_flight.point = plan.point;
  g_in_flight.mode = cancel_mode_name(plan.mode);
  if (plan.kind == CancelPlan::Kind::random) {
    std::size_t at = 0;
    for (CancelMode mode : plan.modes) {
      const char* name = cancel_mode_name(mode);
      const std::size_t n = std::strlen(name);
      if (at + n + 2 >= sizeof g_in_flight.modes) break;
      if (at != 0) g_in_flight.modes[at++] = ',';
      std::memcpy(g_in_flight.modes + at, name, n);
      at += n;
    }
    g_in_flight.modes[at] = '\0';
  }
  ++g_in_flight.runs_started;
  g_in_flight.running = true;
}

void clear_run_in_flight() noexcept { g_in_flight.running = false; }

}  // namespace corosim::cli
