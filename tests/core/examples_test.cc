#include "core/examples.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

// Writes `contents` to a file named after the running test (and `suffix`) and returns its path.
std::string WriteTestFile(const std::string& contents, const std::string& suffix = "") {
  const std::string path =
      std::filesystem::path(::testing::TempDir()) /
      (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + suffix +
       ".jsonl");
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(ExamplesTest, ReadsSftExamplesIgnoringExtraKeys) {
  const std::string path = WriteTestFile(
      "{\"prompt\": \"1+2=\", \"response\": \"3\", \"id\": 7}\n"
      "{\"prompt\": \"2+2=\", \"response\": \"4\"}\n");
  absl::StatusOr<std::vector<SftExample>> examples = ReadSftExamples(path);
  ASSERT_TRUE(examples.ok()) << examples.status();
  ASSERT_EQ(examples->size(), 2u);
  EXPECT_EQ((*examples)[0].prompt, "1+2=");
  EXPECT_EQ((*examples)[0].response, "3");
  EXPECT_EQ((*examples)[1].prompt, "2+2=");
  EXPECT_EQ((*examples)[1].response, "4");
}

TEST(ExamplesTest, ReadsPreferenceExamples) {
  const std::string path =
      WriteTestFile("{\"prompt\": \"p\", \"chosen\": \"good\", \"rejected\": \"bad\"}\n");
  absl::StatusOr<std::vector<PreferenceExample>> examples = ReadPreferenceExamples(path);
  ASSERT_TRUE(examples.ok()) << examples.status();
  ASSERT_EQ(examples->size(), 1u);
  EXPECT_EQ((*examples)[0].prompt, "p");
  EXPECT_EQ((*examples)[0].chosen, "good");
  EXPECT_EQ((*examples)[0].rejected, "bad");
}

TEST(ExamplesTest, ReadsRlPrompts) {
  const std::string path = WriteTestFile("{\"prompt\": \"12*3=\", \"ground_truth\": \"36\"}\n");
  absl::StatusOr<std::vector<RlPrompt>> prompts = ReadRlPrompts(path);
  ASSERT_TRUE(prompts.ok()) << prompts.status();
  ASSERT_EQ(prompts->size(), 1u);
  EXPECT_EQ((*prompts)[0].prompt, "12*3=");
  EXPECT_EQ((*prompts)[0].ground_truth, "36");
}

TEST(ExamplesTest, MissingKeyNamesFileLineAndKey) {
  const std::string path = WriteTestFile(
      "{\"prompt\": \"a\", \"response\": \"b\"}\n\n{\"prompt\": \"c\", \"answer\": \"d\"}\n");
  absl::Status status = ReadSftExamples(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), path + ":3: missing key 'response'");
}

TEST(ExamplesTest, WrongTypeNamesKeyAndType) {
  const std::string path = WriteTestFile("{\"prompt\": 5, \"ground_truth\": \"5\"}\n");
  EXPECT_EQ(ReadRlPrompts(path).status().message(),
            path + ":1: key 'prompt' must be a string, got number");
  const std::string preferences =
      WriteTestFile("{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": null}\n", "_pref");
  EXPECT_EQ(ReadPreferenceExamples(preferences).status().message(),
            preferences + ":1: key 'rejected' must be a string, got null");
}

TEST(ExamplesTest, FileWithoutExamplesIsAnError) {
  const std::string path = WriteTestFile("\n  \n");
  absl::Status status = ReadSftExamples(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), path + ": no examples");
}

TEST(ExamplesTest, MissingFileIsNotFound) {
  const std::string path = std::filesystem::path(::testing::TempDir()) / "absent_sft.jsonl";
  absl::Status status = ReadSftExamples(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(path));
}

}  // namespace
}  // namespace fulcrum
