#include "corosim/asio/cancel_safety.h"

#include <asio/experimental/channel_error.hpp>

namespace corosim::asio::detail {

net::cancellation_type_t types_for(CancelSafety claim) noexcept {
  switch (claim) {
    case CancelSafety::total:
      return net::cancellation_type::total | net::cancellation_type::partial |
             net::cancellation_type::terminal;
    case CancelSafety::partial: return net::cancellation_type::partial | net::cancellation_type::terminal;
    case CancelSafety::terminal:
    case CancelSafety::unsafe: break;
  }
  return net::cancellation_type::terminal;
}

const char* type_name(net::cancellation_type_t type) noexcept {
  if ((type & net::cancellation_type::total) != net::cancellation_type::none) return "total";
  if ((type & net::cancellation_type::partial) != net::cancellation_type::none) return "partial";
  return "terminal";
}

CancelSafety required_for(net::cancellation_type_t type) noexcept {
  if ((type & net::cancellation_type::total) != net::cancellation_type::none) return CancelSafety::total;
  if ((type & net::cancellation_type::partial) != net::cancellation_type::none) return CancelSafety::partial;
  return CancelSafety::terminal;
}

bool is_cancellation(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    return e.code() == net::error::operation_aborted ||
           e.code() == net::experimental::error::channel_cancelled;
  } catch (...) {
  }
  return false;
}

}  // namespace corosim::asio::detail
