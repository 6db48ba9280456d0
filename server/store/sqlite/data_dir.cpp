#include "store/sqlite/data_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <system_error>

namespace pollchat::sqlite {

data_dir::~data_dir() {
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
  }
}

data_dir::data_dir(data_dir&& other) noexcept
    : path_(std::move(other.path_)), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

data_dir data_dir::open(const std::string& path, std::string& error) {
  data_dir dir;
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    error = fmt::format("--data-dir: cannot create the directory '{}': {}", path, ec.message());
    return dir;
  }
  if (!std::filesystem::is_directory(path, ec)) {
    error = fmt::format("--data-dir: '{}' is not a directory", path);
    return dir;
  }
  // Creating the lock file is also the check that the directory takes new files.
  const std::string lock_path = path + "/lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = fmt::format("--data-dir: cannot write in '{}': {}", path, std::strerror(errno));
    return dir;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    error = err == EWOULDBLOCK
                ? fmt::format("--data-dir: another chat-server is already using '{}'", path)
                : fmt::format("--data-dir: cannot lock '{}': {}", lock_path, std::strerror(err));
    return dir;
  }
  dir.path_ = path;
  dir.lock_fd_ = fd;
  return dir;
}

}  // namespace pollchat::sqlite
