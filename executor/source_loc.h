// SourceLoc: where a co_await, spawn or check stands in the user's source.
//
// One word: std::source_location's own pointer to the compiler's static
// record of the site, or (tagged) a pointer to a SourceSite with static
// storage duration, for sites std::source_location does not describe. So a
// suspension point records where it stands with one store, and a fiber
// carries its locations in 8 bytes each.
//
// g++ 12 and clang 19 agree on file and line of a co_await but not on column
// or function name, so anything hashed or compared uses only the file's base
// name and the line (see stable_hash()); column and function are for humans.
#pragma once

#include <bit>
#include <cstdint>
#include <source_location>
#include <string>
#include <type_traits>

namespace corosim {

// A site described by hand: main's start, an asio handler, a location asio's
// handler tracking reports. Must outlive every SourceLoc that points to it
// (a static, or SourceLoc::intern's table).
struct SourceSite {
  const char* file = "";
  const char* function = "";
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

class SourceLoc {
 public:
  constexpr SourceLoc() noexcept = default;

  static SourceLoc from(const std::source_location& loc) noexcept {
    static_assert(sizeof(std::source_location) == sizeof(std::uintptr_t) &&
                  std::is_trivially_copyable_v<std::source_location>);
    SourceLoc made;
    made.bits_ = std::bit_cast<std::uintptr_t>(loc);
    return made;
  }
  static SourceLoc here(std::source_location loc = std::source_location::current()) noexcept {
    return from(loc);
  }
  static SourceLoc custom(const SourceSite& site) noexcept {
    static_assert(alignof(SourceSite) >= 2);
    SourceLoc made;
    made.bits_ = reinterpret_cast<std::uintptr_t>(&site) | kCustom;
    return made;
  }
  // A site with these fields, kept for the life of the process (one record
  // per distinct site; file and function must be string literals or as
  // lasting). Thread-safe.
  static SourceLoc intern(const char* file, const char* function, std::uint32_t line, std::uint32_t column);

  const char* file() const noexcept {
    return is_custom() ? site().file : bits_ == 0 ? "" : loc().file_name();
  }
  const char* function() const noexcept {
    return is_custom() ? site().function : bits_ == 0 ? "" : loc().function_name();
  }
  std::uint32_t line() const noexcept { return is_custom() ? site().line : bits_ == 0 ? 0 : loc().line(); }
  std::uint32_t column() const noexcept {
    return is_custom() ? site().column : bits_ == 0 ? 0 : loc().column();
  }

  bool known() const noexcept { return line() != 0; }
  // "dir/file.cpp:42", or "?" when unknown.
  std::string str() const;
  // The file's base name: the part of the path that is the same on every machine.
  const char* base_name() const noexcept;
  // Hash of base name and line: equal on g++ and clang, in any build directory.
  std::uint64_t stable_hash() const noexcept;

 private:
  static constexpr std::uintptr_t kCustom = 1;
  bool is_custom() const noexcept { return (bits_ & kCustom) != 0; }
  const SourceSite& site() const noexcept { return *reinterpret_cast<const SourceSite*>(bits_ & ~kCustom); }
  std::source_location loc() const noexcept { return std::bit_cast<std::source_location>(bits_); }

  std::uintptr_t bits_ = 0;
};

}  // namespace corosim
