// Suggestions for a mistyped name from a closed set (scenarios, checkers,
// strategies): the candidates a typo or two away.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace corosim {

// " (did you mean 'a' or 'b'?)" naming up to three candidates closest to
// unknown by edit distance, nearest first, or "" when none is close. Close
// means within max(2, length / 4) edits of the whole name or of its part after
// a '/' (the right name in the wrong family).
std::string did_you_mean(std::string_view unknown, const std::vector<std::string_view>& candidates);

}  // namespace corosim
