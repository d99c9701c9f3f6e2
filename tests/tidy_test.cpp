// Style checked by a test (STYLE.md habit 11): the simulator, the runtime and
// the executor kit use no non-deterministic source, and every layer includes
// only the layers below it.
#include <catch2/catch.hpp>
#include <cctype>
#include <string>
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
          found.push_back(relative + ":" + std::to_string(number) + ": " + rule.needle + " (" + rule.why +
                          ")");
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

// Which corosim layers each folder may include (docs/architecture.md). The
// build enforces most of it too (one library per layer, each linking only the
// ones below); this test also covers headers, which link nothing, and
// runtime/detail/, which is private to runtime/ within the same library.
struct Layer {
  const char* folder;
  std::vector<std::string> may_include;  // folders under corosim/
};

const std::vector<Layer> kLayers = {
    {"executor", {"executor"}},
    {"runtime", {"executor", "runtime"}},
    {"sim", {"executor", "runtime", "sim"}},
    {"replay", {"executor", "runtime", "sim", "replay"}},
    {"scenarios", {"executor", "runtime", "sim", "scenarios"}},
    {"asio", {"executor", "runtime", "scenarios", "asio"}},
    // The asio scenarios are content above the asio layer.
    {"scenarios/asio", {"executor", "runtime", "sim", "scenarios", "asio"}},
    {"harness", {"executor", "runtime", "sim", "replay", "scenarios", "harness"}},
    {"cli", {"executor", "runtime", "sim", "replay", "scenarios", "harness", "cli"}},
    {"fuzz", {"executor", "runtime", "sim", "replay", "scenarios", "harness", "fuzz"}},
};

// "file:line: what" for every include of a layer the folder may not use, and
// of runtime/detail/ from outside runtime/.
std::vector<std::string> layering_violations(const Layer& layer) {
  std::vector<std::string> found;
  const std::string prefix = "#include \"corosim/";
  for (const fs::path& file : sources_under(layer.folder)) {
    const std::string relative = fs::relative(file, COROSIM_SOURCE_DIR).string();
    // A subfolder with a rule of its own is checked under that rule.
    bool own_rule = false;
    for (const Layer& other : kLayers) {
      const std::string folder = std::string(other.folder) + "/";
      own_rule = own_rule ||
                 (folder.size() > std::string(layer.folder).size() + 1 && relative.rfind(folder, 0) == 0);
    }
    if (own_rule) continue;
    std::istringstream lines(read(file));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      const auto at = line.find(prefix);
      if (at == std::string::npos || line.rfind("//", at) != std::string::npos) continue;
      const std::string path =
          line.substr(at + prefix.size(), line.find('"', at + prefix.size()) - at - prefix.size());
      const std::string included = path.substr(0, path.find('/'));
      bool allowed = false;
      for (const std::string& name : layer.may_include) allowed = allowed || included == name;
      const std::string where = relative + ":" + std::to_string(number) + ": ";
      if (!allowed) {
        found.push_back(where + "includes " + path + " (" + layer.folder + "/ may not use " + included +
                        "/)");
      } else if (path.rfind("runtime/detail/", 0) == 0 && std::string(layer.folder) != "runtime") {
        found.push_back(where + "includes " + path + " (runtime/detail/ is private to runtime/)");
      }
    }
  }
  return found;
}

}  // namespace

TEST_CASE("tidy: executor/ and sim/ and runtime/ use no non-deterministic source", "[tidy]") {
  auto found = violations(sources_under("sim"), kNonDeterministic);
  auto kit = violations(sources_under("executor"), kNonDeterministic);
  found.insert(found.end(), kit.begin(), kit.end());
  // The real-time event loop is the one place that reads the clock.
  auto runtime = violations(sources_under("runtime"), kNonDeterministic,
                            {"runtime/event_loop.h", "runtime/event_loop.cpp"});
  found.insert(found.end(), runtime.begin(), runtime.end());
  std::string report;
  for (const auto& line : found) report += line + "\n";
  INFO(report);
  REQUIRE(found.empty());
}

// g++ 12 miscompiles a co_await used directly as an if or while condition
// (docs/runtime.md, "Known compiler issues"): nothing users read or copy
// from shows one, comments included. A condition that declares its result
// (`while (auto v = co_await rx.recv())`) ran correctly and is allowed.
TEST_CASE("tidy: no co_await as a bare if or while condition in what users copy", "[tidy]") {
  const std::vector<std::string> needles = {"if (co_await", "while (co_await", "if (!co_await",
                                            "while (!co_await"};
  std::vector<std::string> found;
  for (const char* folder : {"runtime", "asio", "scenarios", "examples"}) {
    for (const fs::path& file : sources_under(folder)) {
      const std::string relative = fs::relative(file, COROSIM_SOURCE_DIR).string();
      std::istringstream lines(read(file));
      std::string line;
      for (int number = 1; std::getline(lines, line); ++number) {
        // check.h names the pattern to explain what CORO_CHECK avoids.
        if (line.find("`if (co_await") != std::string::npos) continue;
        for (const std::string& needle : needles) {
          if (line.find(needle) != std::string::npos)
            found.push_back(relative + ":" + std::to_string(number));
        }
      }
    }
  }
  std::string report;
  for (const auto& where : found) report += where + "\n";
  INFO(report);
  REQUIRE(found.empty());
}

TEST_CASE("tidy: every layer includes only the layers below it", "[tidy]") {
  std::vector<std::string> found;
  for (const Layer& layer : kLayers) {
    for (const std::string& line : layering_violations(layer)) found.push_back(line);
  }
  std::string report;
  for (const auto& line : found) report += line + "\n";
  INFO(report);
  REQUIRE(found.empty());
}

TEST_CASE("tidy: the layering check catches a violation", "[tidy]") {
  // The rule table is data: check it rejects what it must, so an edit that
  // empties it cannot pass silently.
  auto may = [](const char* folder, const std::string& included) {
    for (const Layer& layer : kLayers) {
      if (std::string(layer.folder) != folder) continue;
      for (const std::string& name : layer.may_include) {
        if (name == included) return true;
      }
    }
    return false;
  };
  CHECK_FALSE(may("runtime", "sim"));
  CHECK_FALSE(may("executor", "runtime"));
  CHECK_FALSE(may("sim", "replay"));
  CHECK_FALSE(may("replay", "harness"));
  CHECK_FALSE(may("harness", "cli"));
  CHECK_FALSE(may("scenarios", "harness"));
  CHECK_FALSE(may("fuzz", "cli"));
  CHECK(may("cli", "harness"));
}

namespace {

constexpr std::size_t kFunctionLinesMax = 70;

std::size_t indentation(const std::string& line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string::npos ? line.size() : first;
}

bool starts_with_word(const std::string& text, const char* word) {
  const std::size_t size = std::char_traits<char>::length(word);
  return text.compare(0, size, word) == 0 &&
         (text.size() == size || !std::isalnum(static_cast<unsigned char>(text[size])));
}

// Where a function definition starting at line i opens its body: the line
// that ends with '{' once the signature's parentheses balance (at most six
// lines on), or npos if line i does not start a function definition at
// namespace or class-member depth.
std::size_t function_body_open(const std::vector<std::string>& lines, std::size_t i) {
  const std::string& first = lines[i];
  const std::size_t indent = indentation(first);
  if (indent > 2 || indent == first.size()) return std::string::npos;
  const std::string head = first.substr(indent);
  for (const char* word : {"if", "for", "while", "switch", "else", "namespace", "struct", "class", "enum",
                           "union", "case", "return", "do", "try", "catch", "extern"}) {
    if (starts_with_word(head, word)) return std::string::npos;
  }
  if (head[0] == '#' || head[0] == '}' || head.rfind("//", 0) == 0) return std::string::npos;
  int depth = 0;
  for (std::size_t j = i; j < lines.size() && j < i + 6; ++j) {
    for (char c : lines[j]) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    std::string text = lines[j];
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (depth == 0 && !text.empty() && text.back() == '{') {
      // A lambda or an initialiser bound to a name is not a function definition.
      const std::string signature = first.substr(0, first.find('('));
      if (first.find('(') == std::string::npos || signature.find('=') != std::string::npos)
        return std::string::npos;
      return j;
    }
    if (depth == 0 && text.find(';') != std::string::npos) return std::string::npos;
  }
  return std::string::npos;
}

}  // namespace

TEST_CASE("tidy: functions fit on a screen", "[tidy]") {
  // STYLE.md habit 14 (TigerBeetle's limit): a longer function is several
  // named steps. Checked on every layer's sources; tests are exempt.
  std::vector<std::string> long_functions;
  for (const char* folder : {"executor", "runtime", "sim", "replay", "scenarios", "harness", "cli", "fuzz"}) {
    for (const fs::path& file : sources_under(folder)) {
      std::vector<std::string> lines;
      std::istringstream text(read(file));
      for (std::string line; std::getline(text, line);) lines.push_back(line);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::size_t open = function_body_open(lines, i);
        if (open == std::string::npos) continue;
        const std::string close(indentation(lines[i]), ' ');
        std::size_t end = open + 1;
        while (end < lines.size() && lines[end].rfind(close + "}", 0) != 0) ++end;
        const std::size_t length = end - i + 1;
        if (length > kFunctionLinesMax) {
          long_functions.push_back(fs::relative(file, COROSIM_SOURCE_DIR).string() + ":" +
                                   std::to_string(i + 1) + ": " + std::to_string(length) + " lines");
        }
        i = end;
      }
    }
  }
  std::string report;
  for (const auto& line : long_functions) report += line + "\n";
  INFO(report);
  REQUIRE(long_functions.empty());
}

TEST_CASE("tidy: the function-length check sees a long function", "[tidy]") {
  std::vector<std::string> lines = {"int long_one(int a,", "             int b) {"};
  for (int i = 0; i < 80; ++i) lines.push_back("  ++a;");
  lines.push_back("}");
  CHECK(function_body_open(lines, 0) == 1);
  CHECK(function_body_open({"  auto f = [&](int x) {", "  };"}, 0) == std::string::npos);
  CHECK(function_body_open({"  if (x) {", "  }"}, 0) == std::string::npos);
  CHECK(function_body_open({"void declared(int x);"}, 0) == std::string::npos);
  CHECK(function_body_open({"  void member() const {", "  }"}, 0) == 0);
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
        bad.push_back(fs::relative(file, COROSIM_SOURCE_DIR).string() + ":" + std::to_string(number) + ": " +
                      name);
      }
    }
  }
  std::string report;
  for (const auto& line : bad) report += line + "\n";
  INFO(report);
  REQUIRE(bad.empty());
}
