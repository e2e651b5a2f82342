#include "tests/child_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace fulcrum::testing {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);  // only stdout / stderr keep the pipe open
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (error != 0) {
    close(fds[0]);
    return absl::InternalError(absl::StrCat("starting ", argv[0], ": ", std::strerror(error)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fdopen(fds[0], "r")));
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  fclose(output_);
}

absl::StatusOr<std::string> ChildProcess::ReadUntil(const std::function<bool(const std::string&)>& wanted,
                                                   const std::string& what) {
  std::string seen;
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &capacity, output_)) >= 0) {
    std::string text(line, length);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (wanted(text)) {
      free(line);
      return text;
    }
    absl::StrAppend(&seen, text, "\n");
  }
  free(line);
  return absl::NotFoundError(absl::StrCat("no line ", what, "; the child printed:\n", seen));
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(const std::string& prefix) {
  absl::StatusOr<std::string> line =
      ReadUntil([&](const std::string& text) { return absl::StartsWith(text, prefix); },
                absl::StrCat("starting '", prefix, "'"));
  if (!line.ok()) return line.status();
  return line->substr(prefix.size());
}

absl::StatusOr<std::string> ChildProcess::WaitForText(const std::string& text) {
  return ReadUntil([&](const std::string& line) { return absl::StrContains(line, text); },
                   absl::StrCat("containing '", text, "'"));
}

std::string ChildProcess::ReadAll() {
  std::string all;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), output_)) > 0) all.append(buffer, n);
  return all;
}

void ChildProcess::Signal(int signal_number) { kill(pid_, signal_number); }

int ChildProcess::Wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

std::string BinaryPath(const std::string& name) { return absl::StrCat(FULCRUM_BIN_DIR, "/", name); }

}  // namespace fulcrum::testing
