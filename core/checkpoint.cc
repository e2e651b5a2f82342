#include "core/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

namespace fs = std::filesystem;

constexpr char kLatestName[] = "LATEST";
constexpr char kTempSuffix[] = ".tmp";

std::string JoinPath(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

absl::Status FilesystemError(absl::string_view action, const std::string& path,
                             const std::error_code& error) {
  return absl::ErrnoToStatus(error.value(), absl::StrCat(action, " ", path));
}

// The names in `dir`. Iterates by hand because the range-for over directory_iterator throws.
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  if (error) return FilesystemError("listing", dir, error);
  return names;
}

absl::Status ValidateFileName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint file name '", name, "' is not a plain file name"));
  }
  return absl::OkStatus();
}

// Puts the finished directory `temp` in place of an existing checkpoint `final_dir` and deletes
// the old one. RENAME_EXCHANGE swaps the two in one step, so LATEST never names a missing
// directory; filesystems without it get a rename-aside with a short window where it could.
absl::Status ReplaceDirectory(const std::string& temp, const std::string& final_dir) {
  std::string old_contents = temp;
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) != 0) {
    const int exchange_error = errno;
    if (exchange_error != EINVAL && exchange_error != ENOSYS) {
      return absl::ErrnoToStatus(exchange_error, absl::StrCat("replacing checkpoint ", final_dir));
    }
    old_contents = absl::StrCat(final_dir, ".replaced", kTempSuffix);
    std::error_code error;
    fs::remove_all(old_contents, error);
    fs::rename(final_dir, old_contents, error);
    if (!error) fs::rename(temp, final_dir, error);
    if (error) return FilesystemError("replacing checkpoint", final_dir, error);
  }
  std::error_code error;
  fs::remove_all(old_contents, error);
  if (error) return FilesystemError("removing replaced checkpoint", old_contents, error);
  return absl::OkStatus();
}

}  // namespace

std::string CheckpointDirName(int64_t step) { return absl::StrFormat("step_%08d", step); }

std::optional<int64_t> CheckpointStep(std::string_view dir_name) {
  absl::string_view digits(dir_name.data(), dir_name.size());
  if (!absl::ConsumePrefix(&digits, "step_") || digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  int64_t step = 0;
  if (!absl::SimpleAtoi(digits, &step) || CheckpointDirName(step) != dir_name) return std::nullopt;
  return step;
}

absl::StatusOr<std::string> WriteCheckpoint(const std::string& root, int64_t step,
                                            const std::map<std::string, std::string>& files) {
  if (step < 0) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint step ", step, " is negative"));
  }
  for (const auto& [name, contents] : files) FULCRUM_RETURN_IF_ERROR(ValidateFileName(name));
  std::error_code error;
  fs::create_directories(root, error);
  if (error) return FilesystemError("creating checkpoint root", root, error);

  const std::string name = CheckpointDirName(step);
  const std::string final_dir = JoinPath(root, name);
  const std::string temp = absl::StrCat(final_dir, kTempSuffix);
  fs::remove_all(temp, error);
  if (!error) fs::create_directory(temp, error);
  if (error) return FilesystemError("creating", temp, error);
  for (const auto& [file_name, contents] : files) {
    FULCRUM_RETURN_IF_ERROR(WriteFileSynced(JoinPath(temp, file_name), contents));
  }
  FULCRUM_RETURN_IF_ERROR(FsyncDirectory(temp));

  if (fs::exists(final_dir, error)) {
    FULCRUM_RETURN_IF_ERROR(ReplaceDirectory(temp, final_dir));
  } else {
    fs::rename(temp, final_dir, error);
    if (error) return FilesystemError("renaming into place", final_dir, error);
  }
  FULCRUM_RETURN_IF_ERROR(FsyncDirectory(root));
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(JoinPath(root, kLatestName), absl::StrCat(name, "\n")));
  return final_dir;
}

absl::StatusOr<std::string> LatestCheckpoint(const std::string& root) {
  const std::string latest_path = JoinPath(root, kLatestName);
  absl::StatusOr<std::string> contents = ReadFile(latest_path);
  if (absl::IsNotFound(contents.status())) {
    return absl::NotFoundError(
        absl::StrCat("no checkpoint in ", root, ": ", latest_path, " does not exist"));
  }
  if (!contents.ok()) return contents.status();
  const std::string name(absl::StripAsciiWhitespace(*contents));
  if (!CheckpointStep(name).has_value()) {
    return absl::DataLossError(
        absl::StrCat(latest_path, " holds '", name, "', not a checkpoint directory name"));
  }
  const std::string dir = JoinPath(root, name);
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::DataLossError(
        absl::StrCat(latest_path, " names ", name, " but ", dir, " is not a directory"));
  }
  return dir;
}

absl::StatusOr<std::string> ResolveCheckpointDir(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("checkpoint directory ", dir, " does not exist"));
  }
  if (std::filesystem::exists(std::filesystem::path(dir) / "LATEST", error)) return LatestCheckpoint(dir);
  return dir;
}

std::vector<std::string> ListCheckpoints(const std::string& root) {
  std::vector<std::pair<int64_t, std::string>> found;
  const absl::StatusOr<std::vector<std::string>> names = ListDirectory(root);
  if (!names.ok()) return {};
  for (const std::string& name : *names) {
    const std::optional<int64_t> step = CheckpointStep(name);
    const std::string path = JoinPath(root, name);
    std::error_code error;
    if (step.has_value() && fs::is_directory(path, error)) found.emplace_back(*step, path);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto& [step, path] : found) paths.push_back(std::move(path));
  return paths;
}

absl::Status PruneCheckpoints(const std::string& root, int keep) {
  if (keep < 0) {
    return absl::InvalidArgumentError(absl::StrCat("pruning ", root, ": keep is ", keep));
  }
  std::error_code error;
  if (!fs::exists(root, error)) return absl::OkStatus();
  std::string latest_name;
  absl::StatusOr<std::string> latest = LatestCheckpoint(root);
  if (latest.ok()) {
    latest_name = fs::path(*latest).filename().string();
  } else if (!absl::IsNotFound(latest.status())) {
    return latest.status();
  }

  std::vector<std::string> doomed;
  FULCRUM_ASSIGN_OR_RETURN(const std::vector<std::string> names, ListDirectory(root));
  for (const std::string& name : names) {
    if ((absl::StartsWith(name, "step_") && absl::EndsWith(name, kTempSuffix)) ||
        absl::StartsWith(name, absl::StrCat(kLatestName, kTempSuffix, "."))) {
      doomed.push_back(JoinPath(root, name));
    }
  }
  const std::vector<std::string> checkpoints = ListCheckpoints(root);
  const size_t kept = std::min(checkpoints.size(), static_cast<size_t>(keep));
  for (size_t i = 0; i + kept < checkpoints.size(); ++i) {
    if (fs::path(checkpoints[i]).filename() != latest_name) doomed.push_back(checkpoints[i]);
  }
  for (const std::string& path : doomed) {
    fs::remove_all(path, error);
    if (error) return FilesystemError("pruning", path, error);
  }
  return absl::OkStatus();
}

}  // namespace fulcrum
