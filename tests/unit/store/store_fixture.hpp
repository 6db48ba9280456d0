#pragma once
// What the store suites share: a scratch data directory, a settings block for it, and an
// append_client that lets a test thread wait for the store's answers.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "store/message_store.hpp"

namespace pollchat::testing {

// A fresh directory under the temp dir, removed with the object.
class scratch_dir {
 public:
  scratch_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pollchat-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline config settings_for(const std::string& data_dir, std::size_t history = 1000) {
  config c;
  c.data_dir = data_dir;
  c.history = history;
  c.sync = "normal";  // tests need no power-loss safety, and the machine is shared
  return c;
}

// Collects the store's answers; each one exactly once.
class recording_client : public append_client {
 public:
  void on_appended(append_result result) override {
    {
      const std::lock_guard lock(mutex_);
      results_.push_back(std::move(result));
    }
    changed_.notify_all();
  }

  // Waits until `count` answers arrived; all of them, in arrival order.
  std::vector<append_result> wait_for(std::size_t count,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return results_.size() >= count; });
    return results_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<append_result> results_;
};

// Appends and waits: the result whether the store answers inline or later.
inline append_result append_and_wait(message_store& store, const std::shared_ptr<room>& target,
                                     message_draft draft, std::string_view key = {}) {
  auto client = std::make_shared<recording_client>();
  if (auto done = store.append(target, std::move(draft), key, client)) {
    return *done;
  }
  auto results = client->wait_for(1);
  return results.empty() ? append_result::failure() : results.front();
}

inline message_draft text(std::string body) {
  return {message_type::message, "tester", std::move(body)};
}

}  // namespace pollchat::testing
