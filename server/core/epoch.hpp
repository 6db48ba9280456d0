#pragma once
// The epoch: the name of the id sequence that readers hold cursors in (SPEC §2). The memory and
// SQLite stores keep one for the whole run; the Redis store replaces it when Redis was emptied
// or restored from an older snapshot, so that no id is ever reused within one epoch.

#include <atomic>
#include <memory>
#include <string>

namespace pollchat {

class current_epoch {
 public:
  explicit current_epoch(std::string initial)
      : value_(std::make_shared<const std::string>(std::move(initial))) {}

  // The epoch now; the pointer keeps it valid however long the caller holds it. Thread-safe.
  std::shared_ptr<const std::string> get() const { return value_.load(); }

  // Replaces it. Thread-safe.
  void set(std::string next) { value_.store(std::make_shared<const std::string>(std::move(next))); }

 private:
  std::atomic<std::shared_ptr<const std::string>> value_;
};

}  // namespace pollchat
