#include "orchestrator/curves.h"

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "tests/temp_dir.h"

namespace fulcrum {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// An SFT stage: a falling loss every step, held-out loss and accuracy every 20 steps.
std::string SftMetrics() {
  std::string text;
  for (int step = 1; step <= 100; ++step) {
    absl::StrAppendFormat(&text, "{\"loss\":%.6f,\"lr\":0.001,\"step\":%d}\n", 4.0 * std::exp(-step / 15.0), step);
    if (step % 20 == 0) {
      absl::StrAppendFormat(&text, "{\"heldout_accuracy\":%.2f,\"heldout_loss\":%.6f,\"kind\":\"eval\",\"step\":%d}\n",
                            step / 100.0, 3.0 * std::exp(-step / 15.0), step);
    }
  }
  return text;
}

// An RL stage: reward rising, a KL that is measured or zero throughout, held-out accuracy every 10 steps.
std::string RlMetrics(bool with_kl) {
  std::string text = "{\"heldout_accuracy\":0.1,\"kind\":\"eval\",\"step\":0}\n";
  for (int step = 1; step <= 40; ++step) {
    absl::StrAppendFormat(&text, "{\"entropy\":0.2,\"kl\":%.6f,\"loss\":%.6f,\"reward_mean\":%.4f,\"step\":%d}\n",
                          with_kl ? 0.001 * step : 0.0, 0.1 / step, step / 40.0, step);
    if (step % 10 == 0) {
      absl::StrAppendFormat(&text, "{\"heldout_accuracy\":%.2f,\"kind\":\"eval\",\"step\":%d}\n", step / 40.0, step);
    }
  }
  return text;
}

TEST(CurvesTest, SvgHasOneRowOfPanelsPerStageThatLoggedMetrics) {
  testing::ScopedTempDir dir("curves");
  const std::string run = dir.path();
  WriteText(run + "/sft/metrics.jsonl", SftMetrics());
  WriteText(run + "/ppo/metrics.jsonl", RlMetrics(/*with_kl=*/true));
  WriteText(run + "/grpo/metrics.jsonl", RlMetrics(/*with_kl=*/false));
  const std::vector<StageCurves> stages = {
      {"sft", "sft", run + "/sft/metrics.jsonl"},
      {"ppo", "rl", run + "/ppo/metrics.jsonl"},
      {"grpo", "rl", run + "/grpo/metrics.jsonl"},
      {"final_eval", "eval", run + "/final_eval/metrics.jsonl"},
      {"not_started", "dpo", run + "/not_started/metrics.jsonl"},
  };
  const std::string out = run + "/report/curves.svg";
  std::filesystem::create_directories(run + "/report");

  ASSERT_TRUE(WriteCurves(stages, out).ok()) << WriteCurves(stages, out);

  absl::StatusOr<std::string> svg = ReadFile(out);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_NE(svg->find("<svg"), std::string::npos);
  for (const char* title : {"sft: loss", "sft: held-out accuracy", "ppo: loss", "ppo: reward", "ppo: KL",
                            "ppo: held-out accuracy", "grpo: loss", "grpo: reward", "grpo: held-out accuracy"}) {
    EXPECT_NE(svg->find(title), std::string::npos) << title;
  }
  // SFT logs no reward; GRPO's KL is zero throughout (no reference); the other stages have no metrics.
  for (const char* absent : {"sft: reward", "sft: KL", "grpo: KL", "final_eval", "not_started"}) {
    EXPECT_EQ(svg->find(absent), std::string::npos) << absent;
  }
  EXPECT_TRUE(std::filesystem::exists(run + "/report/curves.gp"));
  EXPECT_TRUE(std::filesystem::exists(run + "/report/curves.dat"));
}

TEST(CurvesTest, PngStartsWithThePngSignature) {
  testing::ScopedTempDir dir("curves");
  WriteText(dir.path() + "/sft/metrics.jsonl", SftMetrics());
  const std::string out = dir.path() + "/curves.png";

  ASSERT_TRUE(WriteCurves({{"sft", "sft", dir.path() + "/sft/metrics.jsonl"}}, out).ok());

  absl::StatusOr<std::string> png = ReadFile(out);
  ASSERT_TRUE(png.ok()) << png.status();
  EXPECT_GT(png->size(), 1000u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST(CurvesTest, MalformedMetricsNameTheFileAndLine) {
  testing::ScopedTempDir dir("curves");
  const std::string good = dir.path() + "/sft/metrics.jsonl";
  const std::string broken = dir.path() + "/rm/metrics.jsonl";
  const std::string stepless = dir.path() + "/dpo/metrics.jsonl";
  WriteText(good, SftMetrics());
  WriteText(broken, "{\"loss\":1.0,\"step\":1}\n{\"loss\":0.9,\"step\":2}\n{\"loss\":0.8,\"st\n");
  WriteText(stepless, "{\"loss\":1.0,\"step\":1}\n{\"loss\":0.9}\n");
  const std::string out = dir.path() + "/curves.svg";

  absl::Status status = WriteCurves({{"sft", "sft", good}, {"rm", "rm", broken}}, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(broken + ":3:"), absl::string_view::npos) << status;

  status = WriteCurves({{"dpo", "dpo", stepless}}, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(stepless + ":2:"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("step"), absl::string_view::npos) << status;

  // A metrics "file" that cannot be read as one is an error too, not a stage left out.
  std::filesystem::create_directories(dir.path() + "/dir_stage/metrics.jsonl");
  status = WriteCurves({{"dir_stage", "sft", dir.path() + "/dir_stage/metrics.jsonl"}}, out);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(dir.path() + "/dir_stage/metrics.jsonl"), absl::string_view::npos) << status;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(CurvesTest, RefusesOtherExtensionsAndRunsWithoutMetrics) {
  testing::ScopedTempDir dir("curves");
  WriteText(dir.path() + "/sft/metrics.jsonl", SftMetrics());
  const std::vector<StageCurves> stages = {{"sft", "sft", dir.path() + "/sft/metrics.jsonl"}};

  EXPECT_EQ(WriteCurves(stages, dir.path() + "/curves.pdf").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteCurves({{"sft", "sft", dir.path() + "/none.jsonl"}}, dir.path() + "/curves.svg").code(),
            absl::StatusCode::kNotFound);
}

TEST(CurvesTest, MissingGnuplotSaysWhatToInstall) {
  testing::ScopedTempDir dir("curves");
  WriteText(dir.path() + "/sft/metrics.jsonl", SftMetrics());
  const std::string empty_bin = dir.path() + "/bin";
  std::filesystem::create_directories(empty_bin);
  const std::string saved_path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  setenv("PATH", empty_bin.c_str(), 1);

  const absl::Status status =
      WriteCurves({{"sft", "sft", dir.path() + "/sft/metrics.jsonl"}}, dir.path() + "/curves.svg");

  setenv("PATH", saved_path.c_str(), 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("gnuplot-nox"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace fulcrum
