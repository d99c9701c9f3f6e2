// SourceLoc: where a co_await, spawn or check stands in the user's source.
//
// Wraps std::source_location. g++ 12 and clang 19 agree on file and line of a
// co_await but not on column or function name, so anything hashed or compared
// uses only the file's base name and the line (see stable_hash()); column and
// function are for humans.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>

namespace corosim {

struct SourceLoc {
  const char* file = "";
  const char* function = "";
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  static constexpr SourceLoc from(const std::source_location& loc) noexcept {
    return SourceLoc{loc.file_name(), loc.function_name(), loc.line(), loc.column()};
  }
  static SourceLoc here(std::source_location loc = std::source_location::current()) noexcept {
    return from(loc);
  }

  bool known() const noexcept { return line != 0; }
  // "dir/file.cpp:42", or "?" when unknown.
  std::string str() const;
  // The file's base name: the part of the path that is the same on every machine.
  const char* base_name() const noexcept;
  // Hash of base name and line: equal on g++ and clang, in any build directory.
  std::uint64_t stable_hash() const noexcept;
};

}  // namespace corosim
