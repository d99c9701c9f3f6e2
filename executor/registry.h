// Registry: an executor's intrusive, insertion-ordered list of objects that
// register themselves (ledgers, drivers). The links live in the object, so
// registering allocates nothing; iteration is in registration order, never
// by address.
#pragma once

namespace corosim::detail {

template <class T, T* T::* Prev, T* T::* Next, bool T::* Registered>
class Registry {
 public:
  void add(T& item) noexcept {
    item.*Prev = tail_;
    item.*Next = nullptr;
    (tail_ != nullptr ? tail_->*Next : head_) = &item;
    tail_ = &item;
    item.*Registered = true;
  }
  void remove(T& item) noexcept {
    (item.*Prev != nullptr ? (item.*Prev)->*Next : head_) = item.*Next;
    (item.*Next != nullptr ? (item.*Next)->*Prev : tail_) = item.*Prev;
    item.*Prev = item.*Next = nullptr;
    item.*Registered = false;
  }
  // Forgets every item (they are told through Registered).
  void clear() noexcept {
    while (head_ != nullptr) remove(*head_);
  }
  T* head() const noexcept { return head_; }
  bool empty() const noexcept { return head_ == nullptr; }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};

}  // namespace corosim::detail
