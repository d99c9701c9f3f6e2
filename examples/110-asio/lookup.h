// Production code, with no corosim in it: a cache lookup that gives a slow
// backend a deadline. asio's `||` cancels the losing fetch through its
// cancellation slot. The unguarded fetch marks its key as loading and clears
// the mark only when it finishes, so a fetch cut off by the deadline leaves
// the key "loading" for ever: every later lookup of it is refused as busy.
// The guarded fetch clears the mark in a destructor, which a cancellation
// runs too.
#pragma once

#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace lookup {

struct Cache {
  std::map<std::string, std::string> values;
  std::set<std::string> loading;  // keys whose fetch is under way
};

inline asio::awaitable<void> backend_latency(std::chrono::milliseconds latency) {
  asio::steady_timer backend(co_await asio::this_coro::executor, latency);
  co_await backend.async_wait(asio::use_awaitable);
}

inline asio::awaitable<void> fetch(Cache& cache, std::string key, std::chrono::milliseconds latency,
                                   bool guarded) {
  cache.loading.insert(key);
  struct Clear {
    Cache* cache;
    std::string key;
    ~Clear() {
      if (cache != nullptr) cache->loading.erase(key);
    }
  } clear{guarded ? &cache : nullptr, key};
  co_await backend_latency(latency);
  cache.values[key] = "value of " + key;
  cache.loading.erase(key);
}

// The value, or nothing if the backend missed the deadline or the key is busy.
inline asio::awaitable<std::optional<std::string>> get(Cache& cache, std::string key,
                                                       std::chrono::milliseconds latency,
                                                       std::chrono::milliseconds deadline, bool guarded) {
  using namespace asio::experimental::awaitable_operators;
  if (auto hit = cache.values.find(key); hit != cache.values.end()) co_return hit->second;
  if (cache.loading.count(key) != 0) co_return std::nullopt;  // busy
  const auto outcome = co_await (fetch(cache, key, latency, guarded) || backend_latency(deadline));
  if (outcome.index() == 1) co_return std::nullopt;  // the deadline won
  co_return cache.values[key];
}

// A slow backend misses the deadline once, then recovers: the second lookup
// must succeed.
inline asio::awaitable<bool> recovers(Cache& cache, bool guarded) {
  using namespace std::chrono_literals;
  const auto first = co_await get(cache, "user:7", 50ms, 20ms, guarded);
  const auto second = co_await get(cache, "user:7", 5ms, 20ms, guarded);
  co_return !first.has_value() && second == "value of user:7";
}

}  // namespace lookup
