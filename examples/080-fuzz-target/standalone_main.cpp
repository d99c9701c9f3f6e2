// Runs a libFuzzer target without libFuzzer: over each file named on the
// command line, or, with none, over a few fixed inputs (empty: a pos sample;
// all zeros: fifo as far as they reach; all ones: every site armed;
// alternating bits).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int run(const std::string& input) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::ifstream file(argv[i], std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 2;
    }
    inputs.emplace_back(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  if (inputs.empty()) inputs = {"", std::string(64, '\0'), std::string(64, '\xff'), std::string(64, '\x55')};
  for (const std::string& input : inputs) run(input);  // a failing run aborts
  std::printf("%zu input(s) ran without a failure\n", inputs.size());
  return 0;
}
