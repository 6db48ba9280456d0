#pragma once
// The data directory of --data-dir: created when missing (with its parents), checked for
// writing, and locked for the life of the process, so that a second server on the same
// directory stops at once instead of interleaving ids with the first. The lock is a flock() on
// DIR/lock: the kernel releases it when the process ends, kill -9 included, so no stale lock
// file ever needs removing by hand.

#include <string>

namespace pollchat::sqlite {

class data_dir {
 public:
  data_dir() = default;
  ~data_dir();
  data_dir(data_dir&& other) noexcept;
  data_dir& operator=(data_dir&&) = delete;
  data_dir(const data_dir&) = delete;
  data_dir& operator=(const data_dir&) = delete;

  // Creates, checks and locks `path`; on failure `error` says why, for an operator, and the
  // result holds nothing.
  static data_dir open(const std::string& path, std::string& error);

  bool locked() const { return lock_fd_ >= 0; }
  const std::string& path() const { return path_; }
  std::string database_path() const { return path_ + "/pollchat.db"; }

 private:
  std::string path_;
  int lock_fd_ = -1;  // holds the flock while open
};

}  // namespace pollchat::sqlite
