// Child processes and their supervision, with /bin/sh standing in for a role binary.
#include "orchestrator/service.h"

#include <signal.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "core/file_util.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

TEST(ChildTest, LogsOutputAndReportsExitCode) {
  testing::ScopedTempDir dir("child");
  absl::StatusOr<std::unique_ptr<Child>> child =
      Child::Start({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, dir.path() + "/x.log");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ((*child)->Wait(), 3);
  EXPECT_EQ(*ReadFile(dir.path() + "/x.log"), "out\nerr\n");
  EXPECT_EQ(DescribeExit(3), "exit code 3");
  EXPECT_EQ(DescribeExit(128 + SIGKILL), "killed by SIGKILL");
}

TEST(ChildTest, StopEscalatesToKill) {
  testing::ScopedTempDir dir("child");
  // Ignores SIGTERM, so Stop must end it with SIGKILL.
  auto child = Child::Start({"/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.05; done"},
                            dir.path() + "/x.log");
  ASSERT_TRUE(child.ok());
  while (ReadFile(dir.path() + "/x.log").value_or("").empty()) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ((*child)->Stop(absl::Milliseconds(200)), 128 + SIGKILL);
}

TEST(ChildTest, MissingBinaryIsAClearError) {
  auto child = Child::Start({"/no/such/fulcrum-reward"}, "/tmp/unused.log");
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(child.status().message(), HasSubstr("/no/such/fulcrum-reward"));
}

// A serving role played by a shell script, logging into `dir`.
ServiceSpec ShellSpec(const testing::ScopedTempDir& dir, const std::string& name, const std::string& script) {
  ServiceSpec spec;
  spec.name = name;
  spec.argv = {"/bin/sh", "-c", script};
  spec.log_path = dir.path() + "/" + name + ".log";
  return spec;
}

TEST(ServiceTest, RestartsACrashUpToTheLimit) {
  testing::ScopedTempDir dir("service");
  ServiceSpec spec = ShellSpec(dir, "actor-1", "echo started; exit 7");
  spec.serves = false;
  spec.max_restarts = 1;
  auto service = Service::Start(spec);
  ASSERT_TRUE(service.ok());
  const pid_t first = (*service)->pid();
  pid_t restarted = 0;
  absl::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (status.ok() && absl::Now() < deadline) {
    status = (*service)->Supervise();
    if ((*service)->restarts() == 1 && restarted == 0) restarted = (*service)->pid();
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ((*service)->restarts(), 1);
  EXPECT_NE(restarted, 0);
  EXPECT_NE(restarted, first);  // restarts() counts relaunches: the new process is there once it moves
  EXPECT_THAT(status.message(), HasSubstr("actor-1 ended with exit code 7 after 1 restarts"));
  EXPECT_THAT(status.message(), HasSubstr(spec.log_path));
  EXPECT_EQ(*ReadFile(spec.log_path), "started\nstarted\n");
}

TEST(ServiceTest, AServiceThatDiesAtStartSaysWhereItsLogIs) {
  testing::ScopedTempDir dir("service");
  auto service = Service::Start(ShellSpec(dir, "reward", "echo 'fulcrum-reward: --task is required' >&2; exit 1"));
  EXPECT_THAT(service.status().message(), HasSubstr("reward exited at start (exit code 1)"));
  EXPECT_THAT(service.status().message(), HasSubstr("--task is required"));
}

TEST(ServiceTest, WaitsForListeningAndHealth) {
  testing::ScopedTempDir dir("service");
  // Says it listens on a port where nothing answers: the health check must catch it.
  auto service = Service::Start(ShellSpec(dir, "reward", "echo 'x listening on 127.0.0.1:1'; sleep 30"));
  EXPECT_THAT(service.status().message(), HasSubstr("health check of 127.0.0.1:1 failed"));
}

}  // namespace
}  // namespace fulcrum
