#include "corosim/runtime/driver.h"

#include <algorithm>
#include <cassert>

#include "corosim/runtime/detail/object_id.h"

namespace corosim {

namespace {
void erase_one(std::vector<Fiber*>& list, const Fiber& fiber) {
  auto it = std::find(list.begin(), list.end(), &fiber);
  if (it != list.end()) list.erase(it);
}
}  // namespace

Driver::Driver(const char* kind, const SourceLoc& created_at)
    : kind_(kind), created_at_(created_at), executor_(current_executor()), id_(detail::new_object_id()) {
  if (const Fiber* creator = current_fiber()) {
    owner_id_ = creator->id;
    parent_ = creator->driver;
    if (parent_ != nullptr) parent_->children_.push_back(this);
  }
  if (executor_ != nullptr) executor_->register_driver(*this);
}

Driver::~Driver() {
  assert(held_.empty() && "a driver was destroyed while it held members");
  for (Fiber* member : members_) member->driver = nullptr;
  for (Driver* child : children_) child->parent_ = nullptr;
  if (parent_ != nullptr) {
    auto& siblings = parent_->children_;
    siblings.erase(std::find(siblings.begin(), siblings.end(), this));
  }
  if (registered) executor_->unregister_driver(*this);
}

void Driver::begin_poll(Fiber& owner) {
  owner_id_ = owner.id;
  polling_ = true;
  if (polling()) release_held();
}

void Driver::end_poll() {
  if (!polling_) return;
  const bool was_polling = polling();
  polling_ = false;
  if (was_polling) pull_back();
}

// Every driver from here down that is polled: its held members run.
void Driver::release_held() {
  // Released in the order they became ready.
  for (Fiber* member : held_) {
    member->held = false;
    member->executor->enqueue(*member);
  }
  held_.clear();
  for (Driver* child : children_) {
    if (child->polling_) child->release_held();
  }
}

// Every driver from here down that was polled: its queued members wait.
void Driver::pull_back() {
  for (Fiber* member : members_) {
    if (member->state != FiberState::ready || !member->queued) continue;
    member->executor->dequeue(*member);
    member->held = true;
    held_.push_back(member);
  }
  for (Driver* child : children_) {
    if (child->polling_) child->pull_back();
  }
}

void Driver::adopt(Fiber& member) {
  member.driver = this;
  members_.push_back(&member);
}

void Driver::member_done(Fiber& member) {
  erase_one(members_, member);
  member.driver = nullptr;
}

void Driver::hold(Fiber& member) {
  assert(!member.held);
  member.held = true;
  held_.push_back(&member);
}

void Driver::unhold(Fiber& member) {
  erase_one(held_, member);
  member.held = false;
}

void Driver::describe(std::string& out) const {
  out += kind_;
  out += '#';
  out += std::to_string(id_);
  out += " (created at ";
  out += created_at_.str();
  out += ')';
}

}  // namespace corosim
