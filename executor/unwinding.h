// How many exceptions are unwinding this thread: std::uncaught_exceptions()
// without its cost. Every spawn asks (a spawn from a destructor that an
// exception runs is detached cleanup), and the library call behind it costs
// a PLT call and a dynamic TLS lookup each time, about as much as the rest
// of the check.
#pragma once

#include <exception>

#if defined(__GLIBCXX__)
#include <cxxabi.h>
#endif

namespace corosim::detail {

#if defined(__GLIBCXX__)
// The Itanium C++ ABI's per-thread exception globals (its exception-handling
// chapter, "Caught Exception Stack"): the field std::uncaught_exceptions()
// returns. Their address is fixed for a thread's life, so it is asked for
// once per thread.
struct EhGlobals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};
inline thread_local const EhGlobals* tls_eh_globals = nullptr;

inline int unwinding_exceptions() noexcept {
  const EhGlobals* globals = tls_eh_globals;
  if (globals == nullptr) [[unlikely]] {
    globals = reinterpret_cast<const EhGlobals*>(abi::__cxa_get_globals());
    tls_eh_globals = globals;
  }
  return static_cast<int>(globals->uncaught_exceptions);
}
#else
inline int unwinding_exceptions() noexcept { return std::uncaught_exceptions(); }
#endif

}  // namespace corosim::detail
