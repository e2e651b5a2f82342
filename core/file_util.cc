#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace fulcrum {
namespace {

// Abseil here is built with its own string_view type, hence absl::string_view parameters.
// Captures errno right away: anything called after the failing syscall may overwrite it.
absl::Status ErrnoError(absl::string_view action, const std::string& path, absl::string_view call) {
  const int error = errno;
  return absl::ErrnoToStatus(error, absl::StrCat(action, " ", path, ": ", call));
}

// Closes the descriptor on every path out of a function; Close() reports the close error on the
// success path, where a failed close can mean lost data.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int Close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

std::string ParentDirectory(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("reading", path, "open");
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return ErrnoError("reading", path, "fstat");
  if (S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("reading ", path, ": is a directory"));
  }
  std::string contents;
  // st_size is only a hint (the file may grow or be a pipe); the loop reads until end of file.
  contents.reserve(static_cast<size_t>(info.st_size > 0 ? info.st_size : 0));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path, "read");
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

absl::Status WriteFileSynced(const std::string& path, std::string_view bytes) {
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoError("writing", path, "open");
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd.get(), data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path, "write");
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return ErrnoError("writing", path, "fsync");
  if (fd.Close() != 0) return ErrnoError("writing", path, "close");
  return absl::OkStatus();
}

absl::Status WriteFileAtomic(const std::string& path, std::string_view bytes) {
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  absl::Status written = WriteFileSynced(temp, bytes);
  if (written.ok() && std::rename(temp.c_str(), path.c_str()) != 0) {
    written = ErrnoError("writing", path, absl::StrCat("rename from ", temp));
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  return FsyncDirectory(ParentDirectory(path));
}

absl::Status FsyncDirectory(const std::string& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("syncing directory", dir, "open");
  if (::fsync(fd.get()) != 0) return ErrnoError("syncing directory", dir, "fsync");
  return absl::OkStatus();
}

}  // namespace fulcrum
