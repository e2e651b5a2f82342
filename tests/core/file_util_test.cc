#include "core/file_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class FileUtilTest : public ::testing::Test {
 protected:

  std::vector<std::string> DirectoryNames() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  testing::ScopedTempDir temp_{"file_util"};
  const std::string dir_ = temp_.path();
};

TEST_F(FileUtilTest, AtomicWriteRoundTripsBinaryBytes) {
  const std::string path = dir_ + "/blob";
  const std::string bytes("a\0b\xff\n", 5);
  ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
}

TEST_F(FileUtilTest, AtomicWriteReplacesAndLeavesNoTemporaryFile) {
  const std::string path = dir_ + "/LATEST";
  ASSERT_TRUE(WriteFileAtomic(path, "a much longer first version").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "short").ok());
  EXPECT_EQ(ReadFile(path).value(), "short");
  EXPECT_THAT(DirectoryNames(), UnorderedElementsAre("LATEST"));
}

TEST_F(FileUtilTest, EmptyFileRoundTrips) {
  const std::string path = dir_ + "/empty";
  ASSERT_TRUE(WriteFileAtomic(path, "").ok());
  EXPECT_EQ(ReadFile(path).value(), "");
}

TEST_F(FileUtilTest, SyncedWriteTruncatesExistingFile) {
  const std::string path = dir_ + "/f";
  ASSERT_TRUE(WriteFileSynced(path, "0123456789").ok());
  ASSERT_TRUE(WriteFileSynced(path, "ab").ok());
  EXPECT_EQ(ReadFile(path).value(), "ab");
}

TEST_F(FileUtilTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = dir_ + "/absent";
  absl::StatusOr<std::string> read = ReadFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(read.status().message(), HasSubstr(path));
  EXPECT_THAT(read.status().message(), HasSubstr("No such file or directory"));
}

TEST_F(FileUtilTest, ReadingADirectoryFails) {
  absl::StatusOr<std::string> read = ReadFile(dir_);
  EXPECT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr(dir_));
}

TEST_F(FileUtilTest, WriteIntoMissingDirectoryFailsAndLeavesNothing) {
  const std::string path = dir_ + "/no/such/dir/file";
  absl::Status status = WriteFileAtomic(path, "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(dir_ + "/no/such/dir/file"));
  EXPECT_TRUE(DirectoryNames().empty());
}

TEST_F(FileUtilTest, FsyncDirectory) {
  EXPECT_TRUE(FsyncDirectory(dir_).ok());
  absl::Status missing = FsyncDirectory(dir_ + "/gone");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr(dir_ + "/gone"));
}

}  // namespace
}  // namespace fulcrum
