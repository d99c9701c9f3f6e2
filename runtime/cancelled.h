// Cancelled: the outcome of an operation that was cancelled, thrown to whoever
// asks for its result (awaiting the JoinHandle of a dropped fiber, and, with the
// stop mode of cancellation, an awaited operation). It is its own type so that
// cancellation is never mistaken for an ordinary error.
#pragma once

#include <exception>

namespace corosim {

class Cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "corosim::Cancelled"; }
};

}  // namespace corosim
