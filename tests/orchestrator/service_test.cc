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

TEST(ServiceTest, RestartsACrashUpToTheLimit) {
  testing::ScopedTempDir dir("service");
  ServiceSpec spec;
  spec.name = "actor-1";
  spec.argv = {"/bin/sh", "-c", "echo started; exit 7"};
  spec.log_path = dir.path() + "/actor-1.log";
  spec.serves = false;
  spec.max_restarts = 1;
  auto service = Service::Start(spec);
  ASSERT_TRUE(service.ok());
  absl::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (status.ok() && absl::Now() < deadline) {
    status = (*service)->Supervise();
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ((*service)->restarts(), 1);
  EXPECT_THAT(status.message(), HasSubstr("actor-1 ended with exit code 7 after 1 restarts"));
  EXPECT_THAT(status.message(), HasSubstr(spec.log_path));
  EXPECT_EQ(*ReadFile(spec.log_path), "started\nstarted\n");
}

TEST(ServiceTest, AServiceThatDiesAtStartSaysWhereItsLogIs) {
  testing::ScopedTempDir dir("service");
  ServiceSpec spec;
  spec.name = "reward";
  spec.argv = {"/bin/sh", "-c", "echo 'fulcrum-reward: --task is required' >&2; exit 1"};
  spec.log_path = dir.path() + "/reward.log";
  auto service = Service::Start(spec);
  EXPECT_THAT(service.status().message(), HasSubstr("reward exited at start (exit code 1)"));
  EXPECT_THAT(service.status().message(), HasSubstr("--task is required"));
}

TEST(ServiceTest, WaitsForListeningAndHealth) {
  testing::ScopedTempDir dir("service");
  ServiceSpec spec;
  spec.name = "reward";
  // Says it listens on a port where nothing answers: the health check must catch it.
  spec.argv = {"/bin/sh", "-c", "echo 'x listening on 127.0.0.1:1'; sleep 30"};
  spec.log_path = dir.path() + "/reward.log";
  auto service = Service::Start(spec);
  EXPECT_THAT(service.status().message(), HasSubstr("health check of 127.0.0.1:1 failed"));
}

}  // namespace
}  // namespace fulcrum
