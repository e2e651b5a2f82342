// Whole-file reads and crash-safe writes. Everything Fulcrum persists (checkpoints, their LATEST
// pointer, exported weights) goes through here, so that a crash leaves either the old or the new
// file on disk, never a torn one. Errors name the path and the failing system call.
#ifndef FULCRUM_CORE_FILE_UTIL_H_
#define FULCRUM_CORE_FILE_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fulcrum {

// Reads the whole file. A missing file is NOT_FOUND, so callers can tell "absent" from "broken".
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Creates or truncates `path`, writes `bytes` and fsyncs the file (not its directory). For files
// inside a directory that is itself published atomically, such as a checkpoint being written.
absl::Status WriteFileSynced(const std::string& path, std::string_view bytes);

// Replaces `path` atomically: writes `path.tmp.<pid>`, fsyncs it, renames it over `path` and
// fsyncs the parent directory so the rename survives a power loss. Two threads of one process
// must not write the same path at once.
absl::Status WriteFileAtomic(const std::string& path, std::string_view bytes);

// Makes the directory's entries (creations, renames, deletions) durable.
absl::Status FsyncDirectory(const std::string& dir);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_FILE_UTIL_H_
