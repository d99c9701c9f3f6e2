#include "corosim/executor/time_text.h"

#include "absl/strings/str_cat.h"

namespace corosim {

std::string virtual_time_text(std::uint64_t ns) {
  if (ns != 0 && ns % 1'000'000'000 == 0) return absl::StrCat(ns / 1'000'000'000, "s");
  if (ns != 0 && ns % 1'000'000 == 0) return absl::StrCat(ns / 1'000'000, "ms");
  if (ns != 0 && ns % 1'000 == 0) return absl::StrCat(ns / 1'000, "us");
  return absl::StrCat(ns, "ns");
}

}  // namespace corosim
