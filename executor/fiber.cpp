#include "corosim/executor/fiber.h"

namespace corosim {

const char* canceller_name(Canceller canceller) noexcept {
  switch (canceller) {
    case Canceller::none: return "none";
    case Canceller::owner: return "owner";
    case Canceller::race: return "select";
    case Canceller::timeout: return "timeout";
    case Canceller::token: return "token";
    case Canceller::external: return "external";
  }
  return "?";
}

}  // namespace corosim
