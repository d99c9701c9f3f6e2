// The same coroutine in production: a real asio::io_context, real timers.
// Exits 0 when the guarded lookup recovers (it does), 1 otherwise.
#include <asio.hpp>
#include <cstdio>

#include "lookup.h"

int main() {
  asio::io_context io;
  lookup::Cache cache;
  bool recovered = false;
  asio::co_spawn(io, lookup::recovers(cache, true),
                 [&](std::exception_ptr error, bool result) { recovered = !error && result; });
  io.run();
  std::printf("guarded lookup %s\n", recovered ? "recovered" : "did not recover");
  return recovered ? 0 : 1;
}
