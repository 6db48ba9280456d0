#pragma once
// The open connections (HTTP and TCP), so shutdown can reach each one (the clean stop of Asio's
// connection_manager). Thread-safe: connections come and go on every I/O thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "net/connection.hpp"

namespace pollchat {

class session_registry {
 public:
  std::uint64_t add(std::weak_ptr<connection> session);
  void remove(std::uint64_t id);
  std::vector<std::shared_ptr<connection>> snapshot() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 0;                                             // guarded by mutex_
  std::unordered_map<std::uint64_t, std::weak_ptr<connection>> open_;  // guarded by mutex_
};

}  // namespace pollchat
