// A virtual time as reports show it.
#pragma once

#include <cstdint>
#include <string>

namespace corosim {

// In the largest unit that states it exactly: 1s, 10ms, 250us, 3ns.
std::string virtual_time_text(std::uint64_t ns);

}  // namespace corosim
