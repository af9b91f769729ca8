// An exclusive lock on a data directory, so that a second broker on the same
// directory is refused instead of sharing the LMDB environment.
#pragma once

#include <filesystem>
#include <memory>

#include "wharf/errors.h"

namespace wharf::storage {

class DataDirLock {
 public:
  // Creates `dir` if needed and takes `dir/LOCK` (flock, released on close
  // or process death). Fails with data_dir_locked naming the holder's pid.
  static result<std::unique_ptr<DataDirLock>> acquire(const std::filesystem::path& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace wharf::storage
