// The HTML timeline's content (tests/html/render_test.sh renders it in Chromium).
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "corosim/replay/html.h"
#include "corosim/replay/replay.h"
#include "corosim/replay/repro.h"
#include "corosim/cli/replay_commands.h"

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("the timeline has a lane per fiber and marks suspensions cancellations wake-ups and the failure",
          "[replay][html]") {
  auto loaded = corosim::cli::load_repro((std::filesystem::path(COROSIM_SOURCE_DIR) /
                                          "scenarios/regressions/select_read_send-cancel-safety.repro")
                                             .string());
  REQUIRE(loaded.ok());
  auto outcome = corosim::replay_repro(loaded->repro, loaded->scenario->body);
  REQUIRE(outcome.ok());

  std::ostringstream page;
  corosim::write_trace_html(outcome->trace, {"select/read_send", "failed: <cancel-safety> & more"}, page);
  const std::string html = page.str();

  std::set<std::uint32_t> fibers;
  for (const auto& event : outcome->trace.events()) {
    if (event.fiber != corosim::kNoFiber) fibers.insert(event.fiber);
  }
  CHECK(count(html, "class=\"lane\"") == fibers.size());
  CHECK(count(html, "class=\"run\"") > 0);
  CHECK(count(html, "class=\"park\"") > 0);
  CHECK(count(html, "class=\"cancel\"") == 1);  // the repro cancels once
  CHECK(count(html, "class=\"failed\"") == 1);
  CHECK(count(html, "class=\"wake") > 0);
  CHECK(count(html, "class=\"tick-label\"") > 0);
  CHECK_THAT(html, Catch::Contains("at scenarios/bundled/read_send.cpp:"));       // hover text: where
  CHECK_THAT(html, Catch::Contains("failed: &lt;cancel-safety&gt; &amp; more"));  // escaped
  // Self-contained: nothing to fetch.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
}
