// Style checked by a test (STYLE.md habit 11): the simulator and the runtime
// must not use non-deterministic sources, and runtime/ must not depend on the
// layers above it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Rule {
  const char* needle;
  const char* why;
};

std::vector<fs::path> sources_under(const char* folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(COROSIM_SOURCE_DIR) / folder)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".h" || ext == ".cpp")) files.push_back(entry.path());
  }
  REQUIRE_FALSE(files.empty());
  return files;
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "file:line: needle (why)" for every line of files that contains a needle.
std::vector<std::string> violations(const std::vector<fs::path>& files, const std::vector<Rule>& rules,
                                    const std::vector<std::string>& exempt = {}) {
  std::vector<std::string> found;
  for (const fs::path& file : files) {
    const std::string relative = fs::relative(file, COROSIM_SOURCE_DIR).string();
    bool skip = false;
    for (const std::string& name : exempt) skip = skip || relative == name;
    if (skip) continue;
    std::istringstream lines(read(file));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      const auto comment = line.find("//");
      const std::string code = comment == std::string::npos ? line : line.substr(0, comment);
      for (const Rule& rule : rules) {
        if (code.find(rule.needle) != std::string::npos) {
          found.push_back(relative + ":" + std::to_string(number) + ": " + rule.needle + " (" +
                          rule.why + ")");
        }
      }
    }
  }
  return found;
}

const std::vector<Rule> kNonDeterministic = {
    {"random_device", "seeds would not replay"},
    {"uniform_int_distribution", "differs between standard libraries"},
    {"uniform_real_distribution", "differs between standard libraries"},
    {"std::shuffle", "differs between standard libraries"},
    {"BitGen", "absl::BitGen is deliberately non-deterministic"},
    {"rand(", "global, unseeded state"},
    {"system_clock", "wall-clock time"},
    {"steady_clock", "wall-clock time"},
    {"unordered_map", "iteration order is unspecified"},
    {"unordered_set", "iteration order is unspecified"},
    {"std::hash", "differs between standard libraries"},
};

}  // namespace

TEST_CASE("tidy: sim/ and runtime/ use no non-deterministic source", "[tidy]") {
  auto found = violations(sources_under("sim"), kNonDeterministic);
  // The real-time event loop is the one place that reads the clock.
  auto runtime = violations(sources_under("runtime"), kNonDeterministic,
                            {"runtime/event_loop.h", "runtime/event_loop.cpp"});
  found.insert(found.end(), runtime.begin(), runtime.end());
  std::string report;
  for (const auto& line : found) report += line + "\n";
  INFO(report);
  REQUIRE(found.empty());
}

TEST_CASE("tidy: dependencies point one way (runtime <- sim <- replay <- scenarios <- fuzz)", "[tidy]") {
  auto runtime = violations(sources_under("runtime"),
                            {{"#include \"sim/", "runtime knows only the Executor interface"},
                             {"#include \"replay/", "runtime is the bottom layer"},
                             {"#include \"scenarios/", "runtime is the bottom layer"}});
  auto sim = violations(sources_under("sim"), {{"#include \"replay/", "sim is below replay"},
                                               {"#include \"scenarios/", "sim is below scenarios"}});
  auto replay = violations(sources_under("replay"), {{"#include \"scenarios/", "replay is below scenarios"}});
  // The fuzz targets build on scenarios/; nothing builds on them.
  std::vector<std::string> below_fuzz;
  for (const char* layer : {"runtime", "sim", "replay", "scenarios"}) {
    for (const auto& line : violations(sources_under(layer), {{"#include \"fuzz/", "fuzz/ is the top layer"}})) {
      below_fuzz.push_back(line);
    }
  }
  std::string report;
  for (const auto& line : below_fuzz) report += line + "\n";
  for (const auto& line : runtime) report += line + "\n";
  for (const auto& line : sim) report += line + "\n";
  for (const auto& line : replay) report += line + "\n";
  INFO(report);
  REQUIRE(runtime.empty());
  REQUIRE(sim.empty());
  REQUIRE(replay.empty());
  REQUIRE(below_fuzz.empty());
}

TEST_CASE("tidy: test names survive ctest discovery", "[tidy]") {
  // catch_discover_tests passes each name back to Catch as a test spec: a
  // leading '-' reads as a flag and ';' splits the CMake list, so such a test
  // would silently match nothing under ctest. ',' is Catch's "or".
  std::vector<std::string> bad;
  for (const fs::path& file : sources_under("tests")) {
    std::istringstream lines(read(file));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      const auto at = line.find("TEST_CASE(\"");
      if (at == std::string::npos) continue;
      const auto start = at + 11;
      const std::string name = line.substr(start, line.find('"', start) - start);
      if (name.empty() || name[0] == '-' || name.find_first_of(";,*\\[]") != std::string::npos) {
        bad.push_back(fs::relative(file, COROSIM_SOURCE_DIR).string() + ":" + std::to_string(number) +
                      ": " + name);
      }
    }
  }
  std::string report;
  for (const auto& line : bad) report += line + "\n";
  INFO(report);
  REQUIRE(bad.empty());
}
