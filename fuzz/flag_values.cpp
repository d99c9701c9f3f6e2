// libFuzzer target: the other text corosim reads from users — strategy names
// (--strategy, --continue), cancellation modes (--cancel-modes), decision
// lists (a repro's decisions line) and trace formats (--trace). The first
// byte picks the parser, the rest is its input. None may crash, and what each
// accepts must print back to text it accepts the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "corosim/replay/export.h"
#include "corosim/replay/repro.h"
#include "corosim/sim/cancel.h"
#include "corosim/sim/strategy/strategy.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "flag values: %s does not round-trip for '%.*s'\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

void strategy(std::string_view text) {
  auto made = corosim::make_strategy(text);
  if (!made.ok()) return;
  auto again = corosim::make_strategy((*made)->describe());
  if (!again.ok() || (*again)->describe() != (*made)->describe()) fail("make_strategy", text);
}

void cancel_modes(std::string_view text) {
  auto modes = corosim::parse_cancel_modes(text);
  if (!modes.ok()) return;
  auto again = corosim::parse_cancel_modes(corosim::cancel_modes_string(*modes));
  if (!again.ok() || *again != *modes) fail("parse_cancel_modes", text);
}

void decisions(std::string_view text) {
  auto stream = corosim::decode_decisions(text);
  if (!stream.ok()) return;
  auto again = corosim::decode_decisions(corosim::encode_decisions(*stream));
  if (!again.ok() || *again != *stream) fail("decode_decisions", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: strategy(text); break;
    case 1: cancel_modes(text); break;
    case 2: decisions(text); break;
    case 3: (void)corosim::parse_trace_format(text); break;
  }
  return 0;
}
