#pragma once
// The open HTTP sessions, so shutdown can reach the idle ones (the clean stop of Asio's
// connection_manager). Thread-safe: sessions come and go on every I/O thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace pollchat {

class http_session;

class session_registry {
 public:
  std::uint64_t add(std::weak_ptr<http_session> session);
  void remove(std::uint64_t id);
  std::vector<std::shared_ptr<http_session>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 0;                                             // guarded by mutex_
  std::unordered_map<std::uint64_t, std::weak_ptr<http_session>> open_;  // guarded by mutex_
};

}  // namespace pollchat
