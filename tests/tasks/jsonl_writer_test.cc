#include "tasks/jsonl_writer.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Example MakeExample(const std::string& prompt) {
  return Example{Problem{prompt, "right", "truth"}, "wrong"};
}

std::vector<std::string> Keys(const nlohmann::json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

std::vector<nlohmann::json> ReadJsonl(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

TEST(JsonlWriterTest, EachFormatHasExactlyItsKeys) {
  const Example example = MakeExample("1+2=");
  const nlohmann::json sft = ExampleToJson(example, JsonlFormat::kSft);
  EXPECT_THAT(Keys(sft), ElementsAre("prompt", "response"));
  EXPECT_EQ(sft["response"], "right");
  const nlohmann::json preference = ExampleToJson(example, JsonlFormat::kPreference);
  EXPECT_THAT(Keys(preference), ElementsAre("chosen", "prompt", "rejected"));
  EXPECT_EQ(preference["chosen"], "right");
  EXPECT_EQ(preference["rejected"], "wrong");
  const nlohmann::json rl = ExampleToJson(example, JsonlFormat::kRl);
  EXPECT_THAT(Keys(rl), ElementsAre("ground_truth", "prompt"));
  EXPECT_EQ(rl["ground_truth"], "truth");
}

TEST(JsonlWriterTest, SftSuffixReachesOnlyTheSftFormat) {
  Example example = MakeExample("1+2=");
  example.sft_suffix = ".";
  EXPECT_EQ(ExampleToJson(example, JsonlFormat::kSft)["response"], "right.");
  EXPECT_EQ(ExampleToJson(example, JsonlFormat::kPreference)["chosen"], "right");
  EXPECT_EQ(ExampleToJson(example, JsonlFormat::kRl)["ground_truth"], "truth");
}

TEST(JsonlWriterTest, SpecialCharactersRoundTripOnOneLine) {
  const std::string prompt = "say \"hi\"\\\n\tnow";
  const std::string jsonl = ToJsonl({MakeExample(prompt), MakeExample("2")}, JsonlFormat::kSft);
  std::istringstream lines(jsonl);
  std::string first, second, third;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  EXPECT_FALSE(std::getline(lines, third));
  EXPECT_EQ(nlohmann::json::parse(first)["prompt"], prompt);
  EXPECT_EQ(nlohmann::json::parse(second)["prompt"], "2");
  EXPECT_EQ(jsonl.back(), '\n');
}

TEST(JsonlWriterTest, WritesSixFilesThatParseBack) {
  const std::string dir = testing::TempDir() + "/jsonl_writer_test/nested";
  std::filesystem::remove_all(dir);
  DatasetSplits splits;
  splits.train = {MakeExample("1+1="), MakeExample("1+2="), MakeExample("1+3=")};
  splits.heldout = {MakeExample("2+2=")};

  const std::vector<WrittenFile> files = WriteDataset(splits, dir).value();
  std::vector<std::string> names;
  for (const WrittenFile& file : files) {
    names.push_back(std::filesystem::path(file.path).filename().string());
    EXPECT_EQ(ReadJsonl(file.path).size(), file.lines) << file.path;
  }
  EXPECT_THAT(names, ElementsAre("sft_train.jsonl", "sft_heldout.jsonl",
                                 "preference_train.jsonl", "preference_heldout.jsonl",
                                 "rl_train.jsonl", "rl_heldout.jsonl"));

  const std::vector<nlohmann::json> rl_train = ReadJsonl(dir + "/rl_train.jsonl");
  ASSERT_EQ(rl_train.size(), 3u);
  EXPECT_EQ(rl_train[1]["prompt"], "1+2=");
  EXPECT_THAT(Keys(rl_train[1]), ElementsAre("ground_truth", "prompt"));
  const std::vector<nlohmann::json> preference = ReadJsonl(dir + "/preference_heldout.jsonl");
  ASSERT_EQ(preference.size(), 1u);
  EXPECT_EQ(preference[0]["rejected"], "wrong");
}

TEST(JsonlWriterTest, UnwritableDirectoryIsAnErrorNamingIt) {
  const std::string blocker = testing::TempDir() + "/jsonl_writer_blocker";
  std::ofstream(blocker) << "a file, not a directory";
  absl::StatusOr<std::vector<WrittenFile>> written =
      WriteDataset(DatasetSplits{}, blocker + "/out");
  EXPECT_FALSE(written.ok());
  EXPECT_THAT(written.status().message(), HasSubstr("jsonl_writer_blocker"));
}

}  // namespace
}  // namespace fulcrum
