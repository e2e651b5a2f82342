#include "core/jsonl.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Writes `contents` to a file named after the running test and returns its path.
std::string WriteTestFile(const std::string& contents) {
  const std::string path =
      std::filesystem::path(::testing::TempDir()) /
      (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".jsonl");
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(JsonlTest, ReadsObjectsSkippingBlankLinesAndCarriageReturns) {
  const std::string path = WriteTestFile("{\"a\": 1}\r\n\n   \n{\"b\": \"x\"}\n{\"c\": [1,2]}");
  absl::StatusOr<std::vector<nlohmann::json>> values = ReadJsonl(path);
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 3u);
  EXPECT_EQ((*values)[0], nlohmann::json({{"a", 1}}));
  EXPECT_EQ((*values)[1], nlohmann::json({{"b", "x"}}));
  EXPECT_EQ((*values)[2], nlohmann::json({{"c", {1, 2}}}));
}

TEST(JsonlTest, EmptyFileHasNoObjects) {
  absl::StatusOr<std::vector<nlohmann::json>> values = ReadJsonl(WriteTestFile(""));
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_TRUE(values->empty());
}

TEST(JsonlTest, ParseErrorNamesFileLineAndColumn) {
  const std::string path = WriteTestFile("{\"a\": 1}\n\n{\"b\": tru}\n");
  absl::StatusOr<std::vector<nlohmann::json>> values = ReadJsonl(path);
  ASSERT_FALSE(values.ok());
  EXPECT_EQ(values.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(values.status().message()),
              StartsWith(path + ":3: invalid JSON at column "));
  EXPECT_THAT(values.status().message(), HasSubstr("invalid literal"));
}

TEST(JsonlTest, NonObjectLineNamesItsType) {
  const std::string path = WriteTestFile("{}\n[1, 2]\n");
  EXPECT_EQ(ReadJsonl(path).status().message(), path + ":2: expected a JSON object, got array");
}

TEST(JsonlTest, LineLongerThanTheCapIsRejected) {
  const std::string path =
      WriteTestFile(absl::StrCat("{\"a\": 1}\n{\"long\": \"", std::string(100, 'x'), "\"}\n"));
  EXPECT_TRUE(ReadJsonl(path, 200).ok());
  EXPECT_EQ(ReadJsonl(path, 50).status().message(), path + ":2: line is longer than 50 bytes");
}

TEST(JsonlTest, MissingFileIsNotFoundAndNamesThePath) {
  const std::string path = std::filesystem::path(::testing::TempDir()) / "no_such_file.jsonl";
  absl::Status status = ReadJsonl(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(path));
}

TEST(JsonlTest, VisitorErrorsArePrefixedWithTheLine) {
  const std::string path = WriteTestFile("{\"ok\": true}\n{\"ok\": false}\n");
  absl::Status status = ForEachJsonlObject(path, 1024, [](const nlohmann::json& value) {
    return value["ok"].get<bool>() ? absl::OkStatus() : absl::InvalidArgumentError("not ok");
  });
  EXPECT_EQ(status.message(), path + ":2: not ok");
}

}  // namespace
}  // namespace fulcrum
