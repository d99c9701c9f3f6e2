#include "corosim/executor/assert.h"

#include <cstdio>
#include <cstdlib>

namespace corosim::detail {

void assert_failed(const char* condition, const char* file, int line) noexcept {
  std::fprintf(stderr, "corosim: invariant broken at %s:%d: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace corosim::detail
