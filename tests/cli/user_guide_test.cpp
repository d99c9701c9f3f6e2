// docs/user-guide.md's command-line reference names exactly the flags each
// command's --help lists.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "corosim/replay/repro.h"
#include "tests/common/capture.h"

using corosim::testing::run_cli;

namespace {

std::set<std::string> flags_in(const std::string& text) {
  static const std::regex flag("--[a-z][a-z-]*[a-z]");
  std::set<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag); it != std::sregex_iterator(); ++it) {
    found.insert(it->str());
  }
  found.erase("--help");
  found.erase("--help-all");
  return found;
}

// The text of "### corosim COMMAND ..." up to the next heading.
std::string reference_section(const std::string& guide, const std::string& command) {
  const std::string heading = "\n### corosim " + command;
  const auto start = guide.find(heading);
  if (start == std::string::npos) return {};
  const auto body = guide.find('\n', start + 1);
  const auto end = guide.find("\n#", body);
  return guide.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

}  // namespace

TEST_CASE("the user guide's CLI reference matches every command's help", "[cli][docs]") {
  auto guide =
      corosim::read_file((std::filesystem::path(COROSIM_SOURCE_DIR) / "docs/user-guide.md").string());
  REQUIRE(guide.ok());
  for (const char* command : {"list", "run", "replay", "minimize", "import-fuzz", "export-fuzz", "merge"}) {
    INFO("corosim " << command);
    auto help = run_cli({command, "--help"});
    REQUIRE(help.exit_code == 0);
    const std::string section = reference_section(*guide, command);
    REQUIRE_FALSE(section.empty());
    CHECK(flags_in(section) == flags_in(help.out));
  }
  // Every command is in the reference.
  auto top = run_cli({"--help"});
  for (const char* command : {"list", "run", "replay", "minimize", "import-fuzz", "export-fuzz", "merge"}) {
    CHECK_THAT(top.out, Catch::Contains(std::string("  ") + command + " "));
  }
  const std::regex subcommand(R"(\n  ([a-z][a-z-]+) {2,})");
  for (auto it = std::sregex_iterator(top.out.begin(), top.out.end(), subcommand);
       it != std::sregex_iterator(); ++it) {
    INFO("subcommand " << (*it)[1].str());
    CHECK_FALSE(reference_section(*guide, (*it)[1].str()).empty());
  }
}

TEST_CASE("the user guide's CI recipe is the workflow file that run-locally.sh runs", "[cli][docs]") {
  const std::filesystem::path root(COROSIM_SOURCE_DIR);
  auto guide = corosim::read_file((root / "docs/user-guide.md").string());
  auto workflow = corosim::read_file((root / "examples/090-ci-shards/corosim.yml").string());
  REQUIRE(guide.ok());
  REQUIRE(workflow.ok());
  const std::string section = guide->substr(guide->find("\n## CI recipe"));
  const std::string fence = "```yaml\n";
  const auto start = section.find(fence);
  REQUIRE(start != std::string::npos);
  const auto body = start + fence.size();
  CHECK(section.substr(body, section.find("```", body) - body) == *workflow);
}
