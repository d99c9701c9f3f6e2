// The one place that names the asio namespace. corosim's asio layer is
// written against `corosim::asio::net`; for Boost.Asio (>= 1.77) this alias
// and the includes below are what would change (docs/asio.md).
#pragma once

// asio 1.22 enables co_await on clang only with the coroutines TS; clang's
// C++20 coroutines work (the corosim::asio target defines this for its users;
// here for a translation unit that did not get it).
#if defined(__clang__) && !defined(ASIO_HAS_CO_AWAIT) && defined(__cpp_impl_coroutine)
#define ASIO_HAS_CO_AWAIT 1
#endif

// The same allocation functions in every translation unit (see CMakeLists.txt).
#if !defined(ASIO_DISABLE_STD_ALIGNED_ALLOC)
#define ASIO_DISABLE_STD_ALIGNED_ALLOC 1
#endif

// corosim's handler tracking (asio/tracking.h), which the corosim::asio target
// defines for its users: here for a unit that did not get it.
#if !defined(ASIO_CUSTOM_HANDLER_TRACKING)
#define ASIO_CUSTOM_HANDLER_TRACKING "corosim/asio/tracking.h"
#endif

#include <asio.hpp>

namespace corosim::asio {
namespace net = ::asio;
}  // namespace corosim::asio
