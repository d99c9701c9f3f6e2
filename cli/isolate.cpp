#include "corosim/cli/isolate.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "corosim/cli/crash.h"

namespace corosim::cli {

namespace {

// What the child's crash handler wrote: "crash\tSEED\tRUNS\tWHAT\tRERUN".
struct CrashRecord {
  bool found = false;
  std::uint64_t seed = 0;
  std::uint64_t runs = 0;
  std::string what;
  std::string repro;  // the run in flight's, if the child wrote one (--out)
  std::string rerun;
};

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_all(int fd) {
  std::string data;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return data;
    data.append(buffer, static_cast<std::size_t>(n));
  }
}

nlohmann::json outcome_json(const ScenarioOutcome& outcome) {
  return {{"entry", outcome.entry},
          {"met", outcome.met},
          {"interrupted", outcome.interrupted},
          {"runs", outcome.runs},
          {"failures", outcome.failures},
          {"repro", outcome.repro},
          {"usage_exit", outcome.usage_exit}};
}

ScenarioOutcome outcome_from(const nlohmann::json& json) {
  ScenarioOutcome outcome;
  outcome.entry = json.at("entry");
  outcome.met = json.at("met").get<bool>();
  outcome.interrupted = json.at("interrupted").get<bool>();
  outcome.runs = json.at("runs").get<std::uint64_t>();
  outcome.failures = json.at("failures").get<std::uint64_t>();
  outcome.repro = json.at("repro").get<std::string>();
  outcome.usage_exit = json.at("usage_exit").get<int>();
  return outcome;
}

// The child's end: explore, hand the outcome over the pipe, and leave
// without running the parent's exit handlers.
[[noreturn]] void be_child(int fd, const std::function<ScenarioOutcome()>& explore) {
  set_crash_record_fd(fd);
  const ScenarioOutcome outcome = explore();
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  write_all(fd, "result\t" + outcome_json(outcome).dump() + "\n");
  ::close(fd);
  std::_Exit(0);
}

std::string describe_death(int status) {
  if (WIFSIGNALED(status))
    return absl::StrFormat("killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return absl::StrFormat("exited with status %d without a result", WEXITSTATUS(status));
}

// The failure a child that died gives its scenario, printed as a verdict.
ScenarioOutcome crash_outcome(const Scenario& scenario, const EntryOf& entry_of, const CrashRecord& crash,
                              int status) {
  const std::string what = crash.found ? crash.what : describe_death(status);
  const bool met = scenario.expect.allows(Checker::crash);
  RunResult run;
  run.seed = crash.seed;
  run.failure = Failure{Checker::crash, what, SourceLoc{}, 0, 0, 0};
  ScenarioReport report;
  report.scenario = &scenario;
  report.runs = crash.runs;
  report.failures = 1;
  report.met = met;
  report.first_failure = run;
  if (!met) report.first_unexpected = run;
  report.failure_groups.push_back(FailureGroup{Checker::crash, SourceLoc{}.str(), 1, run});
  ScenarioOutcome outcome;
  outcome.met = met;
  outcome.runs = crash.runs;
  outcome.failures = 1;
  outcome.repro = crash.repro;
  outcome.entry = entry_of(report);
  // What only a crash has: how to get its run back; no seed without the child's record.
  for (const char* field : {"first_failure", "first_unexpected"}) {
    nlohmann::json& failure = outcome.entry[field];
    if (failure.is_null()) continue;
    failure["rerun"] = crash.rerun;
    failure["repro"] = crash.repro;
    if (!crash.found) failure["seed"] = nullptr;
  }
  if (!crash.found) outcome.entry["failure_groups"][0]["first_seed"] = nullptr;
  std::cout << absl::StrFormat("  %-4s  %-34s %-22s crash in run %d: %s\n", met ? "ok" : "FAIL",
                               scenario.name, scenario.expect.str(), crash.runs, what);
  if (crash.found) {
    std::cout << absl::StrFormat("        seed %d; the rest of the suite runs on (--isolate)\n", crash.seed)
              << "        rerun: " << crash.rerun << "\n";
    if (!crash.repro.empty())
      std::cout << "        repro: " << crash.repro << " (replaying it crashes the same way)\n";
  }
  return outcome;
}

}  // namespace

ScenarioOutcome run_isolated(const Scenario& scenario, const EntryOf& entry_of,
                             const std::function<ScenarioOutcome()>& explore) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);  // or the child prints the parent's buffered text again
  // No isolation to be had: say so, and explore in this process.
  const auto in_process = [&](const char* call) {
    std::cerr << "corosim run: --isolate: " << call << " failed (" << std::strerror(errno) << "); exploring "
              << scenario.name << " in this process\n";
    return explore();
  };
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return in_process("pipe");
  const pid_t child = ::fork();
  if (child < 0) {
    const int error = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    errno = error;
    return in_process("fork");
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    be_child(pipe_fds[1], explore);
  }
  ::close(pipe_fds[1]);
  const std::string data = read_all(pipe_fds[0]);
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  CrashRecord crash;
  std::istringstream lines(data);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("result\t") && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      const auto json = nlohmann::json::parse(line.substr(7), nullptr, false);
      if (!json.is_discarded()) return outcome_from(json);
    }
    std::vector<std::string> fields;
    std::istringstream columns(line);
    for (std::string field; fields.size() < 5 && std::getline(columns, field, '\t');) fields.push_back(field);
    std::string rest;
    std::getline(columns, rest);
    if (fields.size() == 5 && fields[0] == "crash" && absl::SimpleAtoi(fields[1], &crash.seed) &&
        absl::SimpleAtoi(fields[2], &crash.runs)) {
      crash.found = true;
      crash.what = fields[3];
      crash.repro = fields[4];
      crash.rerun = rest;
    }
  }
  return crash_outcome(scenario, entry_of, crash, status);
}

}  // namespace corosim::cli
