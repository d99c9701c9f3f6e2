#include "corosim/asio/tracking.h"

#include <cstring>
#include <vector>

#include "corosim/asio/context.h"

namespace corosim::asio::tracking {

namespace {

struct Where {
  const char* file;
  int line;
  const char* function;
};

// The initiating functions running on this thread, outermost first.
thread_local std::vector<Where> tls_locations;

// asio's composed operations name their own headers; the user's line is the
// outermost location outside them.
bool in_asio(const char* file) {
  return std::strstr(file, "asio/impl/") != nullptr || std::strstr(file, "asio/detail/") != nullptr ||
         std::strstr(file, "asio/experimental/") != nullptr;
}

SourceLoc awaited_at() {
  for (const Where& where : tls_locations) {
    if (where.file == nullptr || where.line <= 0 || in_asio(where.file)) continue;
    return SourceLoc::intern(where.file, where.function != nullptr ? where.function : "",
                             static_cast<std::uint32_t>(where.line), 0);
  }
  return SourceLoc{};
}

}  // namespace

Location::Location(const char* file, int line, const char* function) noexcept {
  tls_locations.push_back(Where{file, line, function});
}

Location::~Location() { tls_locations.pop_back(); }

void created(Tracked& operation, const void* context, const char* object_type, const char* name,
             bool never_due) noexcept {
  Context* current = Context::current();
  if (current == nullptr || !current->is_io_context(context)) return;
  current->operation_created(operation, object_type, name, awaited_at(), never_due);
}

bool completed(const Tracked& operation) noexcept {
  if (operation.corosim_operation == 0) return false;
  Context* current = Context::current();
  return current != nullptr && current->operation_completed(operation);
}

void timer_completing(bool fired) noexcept {
  if (Context* current = Context::current()) current->timer_completing(fired);
}

void timer_completed() noexcept {
  if (Context* current = Context::current()) current->timer_completing(false);
}

}  // namespace corosim::asio::tracking
