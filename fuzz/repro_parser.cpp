// libFuzzer target: the repro-file parser never crashes, and what it accepts
// formats to text that parses back to the same repro.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "corosim/replay/repro.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto repro = corosim::parse_repro(text, "input");
  if (!repro.ok()) {
    // A rejection must say why.
    if (repro.status().message().empty()) std::abort();
    return 0;
  }
  const std::string formatted = corosim::format_repro(*repro);
  auto again = corosim::parse_repro(formatted, "formatted");
  if (!again.ok() || corosim::format_repro(*again) != formatted) {
    std::fprintf(
        stderr, "repro parser: an accepted repro does not survive format and parse:\n%s\n%s\n",
        formatted.c_str(),
        again.ok() ? corosim::format_repro(*again).c_str() : std::string(again.status().message()).c_str());
    std::abort();
  }
  return 0;
}
