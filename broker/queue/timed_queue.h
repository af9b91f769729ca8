// Timed entries (delays, leases, expiries) in due order. Most arrive in
// order, since a queue gives every message the same ack deadline or time
// to live: those are appended to a FIFO, and only the rest pay for a heap.
// top() is the earlier of the two fronts.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <vector>

namespace wharf::queue {

struct TimedEntry {
  std::int64_t due_ms;
  std::uint64_t id;
  std::uint64_t epoch;
  bool operator>(const TimedEntry& o) const { return due_ms != o.due_ms ? due_ms > o.due_ms : id > o.id; }
};

class TimedQueue {
 public:
  bool empty() const { return in_order_.empty() && out_of_order_.empty(); }
  std::size_t size() const { return in_order_.size() + out_of_order_.size(); }

  void push(const TimedEntry& e) {
    if (in_order_.empty() || !(in_order_.back() > e)) {
      in_order_.push_back(e);
    } else {
      out_of_order_.push(e);
    }
  }

  const TimedEntry& top() const { return from_fifo() ? in_order_.front() : out_of_order_.top(); }

  void pop() {
    if (from_fifo()) {
      in_order_.pop_front();
    } else {
      out_of_order_.pop();
    }
  }

 private:
  bool from_fifo() const {
    return out_of_order_.empty() || (!in_order_.empty() && out_of_order_.top() > in_order_.front());
  }

  std::deque<TimedEntry> in_order_;
  std::priority_queue<TimedEntry, std::vector<TimedEntry>, std::greater<>> out_of_order_;
};

}  // namespace wharf::queue
