#include "support/fault_fs.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

namespace wharf::test {
namespace {

struct Fault {
  std::atomic<int> countdown{0};
  std::atomic<int> error{0};
  std::atomic<bool> sticky{false};
  std::atomic<int> failures{0};
};
Fault g_faults[static_cast<int>(FsCall::count)];

bool is_data_path(const char* path) {
  const std::size_t n = std::strlen(path);
  return n >= 8 && std::strcmp(path + n - 8, "data.mdb") == 0;
}

bool is_data_file(int fd) {
  char link[64];
  char path[4096];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, path, sizeof(path) - 1);
  if (n < 0) return false;
  path[n] = '\0';
  return is_data_path(path);
}

// Whether writing `n` bytes at `offset` grows the file (the only writes a
// full disk refuses; overwriting allocated pages needs no space).
bool extends_file(int fd, off_t offset, std::size_t n) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return true;
  return offset + static_cast<off_t>(n) > st.st_size;
}

// errno to fail with, or 0: for a call on the data file (`fd`, or `path`
// for open). `grows` tells whether the call extends the file.
int should_fail(FsCall call, int fd, bool grows = true, const char* path = nullptr) {
  Fault& f = g_faults[static_cast<int>(call)];
  if (f.countdown.load(std::memory_order_acquire) == 0) return 0;
  if (path != nullptr ? !is_data_path(path) : !is_data_file(fd)) return 0;
  if (f.error.load() == ENOSPC && !grows) return 0;
  int n = f.countdown.load();
  while (n > 0 && !f.countdown.compare_exchange_weak(n, n == 1 && f.sticky.load() ? 1 : n - 1)) {
  }
  if (n != 1) return 0;
  f.failures.fetch_add(1);
  return f.error.load();
}

template <typename Fn>
Fn real(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

void fs_fail(FsCall call, int nth, int error, bool sticky) {
  Fault& f = g_faults[static_cast<int>(call)];
  f.error.store(error);
  f.sticky.store(sticky);
  f.countdown.store(nth, std::memory_order_release);
}

void fs_clear() {
  for (auto& f : g_faults) f.countdown.store(0, std::memory_order_release);
}

int fs_failures(FsCall call) { return g_faults[static_cast<int>(call)].failures.load(); }

}  // namespace wharf::test

using wharf::test::FsCall;

extern "C" ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  static auto fn = wharf::test::real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (int e = wharf::test::should_fail(FsCall::pwrite, fd, wharf::test::extends_file(fd, offset, n)); e != 0) {
    errno = e;
    return -1;
  }
  return fn(fd, buf, n, offset);
}

extern "C" ssize_t writev(int fd, const struct iovec* iov, int count) {
  static auto fn = wharf::test::real<ssize_t (*)(int, const struct iovec*, int)>("writev");
  std::size_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  const bool grows = wharf::test::extends_file(fd, ::lseek(fd, 0, SEEK_CUR), total);
  if (int e = wharf::test::should_fail(FsCall::writev, fd, grows); e != 0) {
    errno = e;
    return -1;
  }
  return fn(fd, iov, count);
}

extern "C" int fdatasync(int fd) {
  static auto fn = wharf::test::real<int (*)(int)>("fdatasync");
  if (int e = wharf::test::should_fail(FsCall::fdatasync, fd); e != 0) {
    errno = e;
    return -1;
  }
  return fn(fd);
}

extern "C" int fsync(int fd) {
  static auto fn = wharf::test::real<int (*)(int)>("fsync");
  if (int e = wharf::test::should_fail(FsCall::fsync, fd); e != 0) {
    errno = e;
    return -1;
  }
  return fn(fd);
}

extern "C" int open(const char* path, int flags, ...) {
  static auto fn = wharf::test::real<int (*)(const char*, int, ...)>("open");
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  if (int e = wharf::test::should_fail(FsCall::open, -1, true, path); e != 0) {
    errno = e;
    return -1;
  }
  return fn(path, flags, mode);
}

extern "C" ssize_t pread(int fd, void* buf, size_t n, off_t offset) {
  static auto fn = wharf::test::real<ssize_t (*)(int, void*, size_t, off_t)>("pread");
  if (int e = wharf::test::should_fail(FsCall::pread, fd); e != 0) {
    errno = e;
    return -1;
  }
  return fn(fd, buf, n, offset);
}
