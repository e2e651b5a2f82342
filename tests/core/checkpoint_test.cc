#include "core/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class CheckpointTest : public ::testing::Test {
 protected:

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  // Writes a checkpoint whose only file records its step.
  void Write(int64_t step) {
    absl::StatusOr<std::string> dir =
        WriteCheckpoint(root_, step, {{"state.json", absl::StrCat(R"({"step":)", step, "}")}});
    ASSERT_TRUE(dir.ok()) << dir.status();
  }

  std::vector<std::string> Names(const std::string& dir) const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  testing::ScopedTempDir temp_{"checkpoint"};
  const std::string root_ = temp_.path();
};

TEST_F(CheckpointTest, DirectoryNames) {
  EXPECT_EQ(CheckpointDirName(42), "step_00000042");
  EXPECT_EQ(CheckpointDirName(123456789), "step_123456789");
  EXPECT_EQ(CheckpointStep("step_00000042"), 42);
  EXPECT_EQ(CheckpointStep("step_123456789"), 123456789);
  EXPECT_EQ(CheckpointStep("step_42"), std::nullopt);
  EXPECT_EQ(CheckpointStep("step_00000042.tmp"), std::nullopt);
  EXPECT_EQ(CheckpointStep("step_-0000042"), std::nullopt);
  EXPECT_EQ(CheckpointStep("step_"), std::nullopt);
  EXPECT_EQ(CheckpointStep("LATEST"), std::nullopt);
}

TEST_F(CheckpointTest, WritesFilesAndLatestNamesTheNewest) {
  const std::map<std::string, std::string> files = {
      {"model.safetensors", std::string("\x08\0\0\0", 4)}, {"model.json", "{}"}};
  absl::StatusOr<std::string> first = WriteCheckpoint(root_, 1, files);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, Path("step_00000001"));
  absl::StatusOr<std::string> second = WriteCheckpoint(root_, 2, files);
  ASSERT_TRUE(second.ok()) << second.status();

  EXPECT_EQ(LatestCheckpoint(root_).value(), Path("step_00000002"));
  EXPECT_EQ(ReadFile(Path("LATEST")).value(), "step_00000002\n");
  EXPECT_EQ(ReadFile(*second + "/model.safetensors").value(), files.at("model.safetensors"));
  EXPECT_THAT(Names(*second), UnorderedElementsAre("model.safetensors", "model.json"));
  EXPECT_THAT(Names(root_), UnorderedElementsAre("step_00000001", "step_00000002", "LATEST"));
  EXPECT_THAT(ListCheckpoints(root_), ElementsAre(Path("step_00000001"), Path("step_00000002")));
}

TEST_F(CheckpointTest, CreatesMissingRoot) {
  const std::string nested = Path("runs/demo/sft");
  ASSERT_TRUE(WriteCheckpoint(nested, 3, {{"a", "b"}}).ok());
  EXPECT_EQ(LatestCheckpoint(nested).value(), nested + "/step_00000003");
}

TEST_F(CheckpointTest, RewritingAStepReplacesItWhole) {
  ASSERT_TRUE(WriteCheckpoint(root_, 5, {{"a", "old"}, {"stale", "x"}}).ok());
  absl::StatusOr<std::string> dir = WriteCheckpoint(root_, 5, {{"a", "new"}});
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_THAT(Names(*dir), ElementsAre("a"));
  EXPECT_EQ(ReadFile(*dir + "/a").value(), "new");
  EXPECT_THAT(Names(root_), UnorderedElementsAre("step_00000005", "LATEST"));
}

TEST_F(CheckpointTest, InterruptedWriteIsIgnoredThenPruned) {
  Write(1);
  // What a crash in the middle of writing step 2 leaves behind.
  fs::create_directory(Path("step_00000002.tmp"));
  ASSERT_TRUE(WriteFileAtomic(Path("step_00000002.tmp/model.safetensors"), "partial").ok());
  ASSERT_TRUE(WriteFileAtomic(Path("LATEST.tmp.12345"), "step_00000002").ok());

  EXPECT_EQ(LatestCheckpoint(root_).value(), Path("step_00000001"));
  EXPECT_THAT(ListCheckpoints(root_), ElementsAre(Path("step_00000001")));
  ASSERT_TRUE(PruneCheckpoints(root_, 5).ok());
  EXPECT_THAT(Names(root_), UnorderedElementsAre("step_00000001", "LATEST"));
}

TEST_F(CheckpointTest, RetriedWriteOverwritesAnInterruptedOne) {
  fs::create_directory(Path("step_00000004.tmp"));
  ASSERT_TRUE(WriteFileAtomic(Path("step_00000004.tmp/junk"), "partial").ok());
  absl::StatusOr<std::string> dir = WriteCheckpoint(root_, 4, {{"a", "b"}});
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_THAT(Names(*dir), ElementsAre("a"));
}

TEST_F(CheckpointTest, PruneKeepsTheNewest) {
  for (int64_t step : {30, 10, 50, 20, 40}) Write(step);
  ASSERT_TRUE(PruneCheckpoints(root_, 2).ok());
  EXPECT_THAT(ListCheckpoints(root_), ElementsAre(Path("step_00000040"), Path("step_00000050")));
}

TEST_F(CheckpointTest, PruneNeverDeletesLatest) {
  for (int64_t step : {1, 2, 3, 4}) Write(step);
  ASSERT_TRUE(PruneCheckpoints(root_, 2).ok());
  EXPECT_THAT(ListCheckpoints(root_), ElementsAre(Path("step_00000003"), Path("step_00000004")));
  Write(1);  // Resuming from an early step makes it LATEST.
  ASSERT_TRUE(PruneCheckpoints(root_, 1).ok());
  EXPECT_THAT(ListCheckpoints(root_), ElementsAre(Path("step_00000001"), Path("step_00000004")));
  ASSERT_TRUE(PruneCheckpoints(root_, 0).ok());
  EXPECT_THAT(ListCheckpoints(root_), ElementsAre(Path("step_00000001")));
  EXPECT_EQ(PruneCheckpoints(root_, -1).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CheckpointTest, MissingLatestIsNotFound) {
  absl::StatusOr<std::string> latest = LatestCheckpoint(root_);
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(latest.status().message(), HasSubstr(Path("LATEST") + " does not exist"));
  EXPECT_EQ(LatestCheckpoint(Path("never_created")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ListCheckpoints(Path("never_created")).empty());
  EXPECT_TRUE(PruneCheckpoints(Path("never_created"), 1).ok());
}

TEST_F(CheckpointTest, BrokenLatestIsDataLossAndBlocksPruning) {
  Write(1);
  Write(2);
  ASSERT_TRUE(WriteFileAtomic(Path("LATEST"), "step_00000009\n").ok());
  absl::StatusOr<std::string> latest = LatestCheckpoint(root_);
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(latest.status().message(), HasSubstr("names step_00000009"));
  EXPECT_EQ(PruneCheckpoints(root_, 1).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ListCheckpoints(root_).size(), 2u);

  ASSERT_TRUE(WriteFileAtomic(Path("LATEST"), "../elsewhere").ok());
  latest = LatestCheckpoint(root_);
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(latest.status().message(), HasSubstr("not a checkpoint directory name"));
}

TEST_F(CheckpointTest, RejectsBadArguments) {
  EXPECT_EQ(WriteCheckpoint(root_, -1, {{"a", "b"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* name : {"", ".", "..", "../escape", "sub/file"}) {
    absl::StatusOr<std::string> dir = WriteCheckpoint(root_, 1, {{name, "x"}});
    EXPECT_EQ(dir.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(Names(root_).empty());
}

}  // namespace
}  // namespace fulcrum
