#include "corosim/runtime/chan.h"

#include "corosim/runtime/choose.h"

namespace corosim::detail {

void throw_nil_chan(const char* operation) {
  throw UsageError(std::string("Chan::") + operation +
                   " on a nil channel (a default-constructed Chan): make one with make_chan<T>(capacity); "
                   "a nil channel only serves to switch a choose() case off");
}

void describe_chan_op(const WaitTarget* chan, const char* operation, std::string& out) {
  if (chan != nullptr) {
    chan->describe(out);
  } else {
    out += "nil chan";
  }
  out += operation;
}

// A recorded decision under the simulator, so the strategies explore which
// ready case wins; Go picks uniformly at random.
std::size_t choose_among(std::size_t ready_count) {
  return static_cast<std::size_t>(require_executor("corosim::choose").random_below(ready_count));
}

}  // namespace corosim::detail
