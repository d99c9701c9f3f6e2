#include "corosim/executor/did_you_mean.h"

#include <algorithm>
#include <utility>

namespace corosim {

namespace {

// Levenshtein distance, two rows.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view unknown, const std::vector<std::string_view>& candidates) {
  const std::size_t threshold = std::max<std::size_t>(2, unknown.size() / 4);
  std::vector<std::pair<std::size_t, std::string_view>> close;
  for (std::string_view name : candidates) {
    const std::size_t slash = name.find('/');
    const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    const std::size_t distance = std::min(edit_distance(unknown, name), edit_distance(unknown, base));
    if (distance <= threshold) close.emplace_back(distance, name);
  }
  if (close.empty()) return "";
  // (std::stable_sort warns as deprecated under clang 19 with libstdc++ 12.)
  std::sort(close.begin(), close.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  });
  const std::size_t shown = std::min<std::size_t>(close.size(), 3);
  std::string out = " (did you mean '" + std::string(close[0].second) + "'";
  for (std::size_t i = 1; i < shown; ++i) {
    out += (i + 1 == shown ? " or '" : ", '") + std::string(close[i].second) + "'";
  }
  return out + "?)";
}

}  // namespace corosim
