#include "corosim/sim/cancel.h"

#include "absl/strings/str_cat.h"

namespace corosim {

const char* cancel_mode_name(CancelMode mode) noexcept {
  switch (mode) {
    case CancelMode::drop: return "drop";
    case CancelMode::stop: return "stop";
    case CancelMode::prompt: return "prompt";
    case CancelMode::interrupt: return "interrupt";
    case CancelMode::prestart: return "prestart";
  }
  return "?";
}

AwaitAction cancel_action(CancelMode mode) noexcept {
  switch (mode) {
    case CancelMode::drop: return AwaitAction::cancel_drop;
    case CancelMode::stop: return AwaitAction::cancel_stop;
    case CancelMode::prompt: return AwaitAction::cancel_prompt;
    case CancelMode::interrupt: return AwaitAction::cancel_interrupt;
    case CancelMode::prestart: return AwaitAction::cancel_stop;  // at a point, prestart is a stop
  }
  return AwaitAction::proceed;
}

absl::StatusOr<std::vector<CancelMode>> parse_cancel_modes(std::string_view text) {
  std::vector<CancelMode> modes;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string_view name =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::optional<CancelMode> mode;
    for (CancelMode candidate : {CancelMode::drop, CancelMode::stop, CancelMode::prompt,
                                 CancelMode::interrupt, CancelMode::prestart}) {
      if (name == cancel_mode_name(candidate)) mode = candidate;
    }
    if (!mode) {
      return absl::InvalidArgumentError(absl::StrCat("unknown cancellation mode '", std::string(name),
                                                     "' (modes: drop, stop, prompt, interrupt, prestart)"));
    }
    for (CancelMode seen : modes) {
      if (seen == *mode) {
        return absl::InvalidArgumentError(
            absl::StrCat("cancellation mode '", std::string(name), "' is listed twice"));
      }
    }
    modes.push_back(*mode);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return modes;
}

std::string cancel_modes_string(const std::vector<CancelMode>& modes) {
  std::string out;
  for (CancelMode mode : modes) {
    if (!out.empty()) out += ',';
    out += cancel_mode_name(mode);
  }
  return out;
}

}  // namespace corosim
