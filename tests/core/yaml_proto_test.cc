#include "core/yaml_proto.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "fulcrum/v1/config.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses `yaml` into a fresh T; returns the status with source "test.yaml".
template <typename T>
absl::Status Parse(const std::string& yaml, T* message) {
  return YamlToProto(YAML::Load(yaml), message, "test.yaml");
}

template <typename T>
std::string ParseError(const std::string& yaml) {
  T message;
  absl::Status status = Parse(yaml, &message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

std::string WriteTestFile(const std::string& contents) {
  const std::string path =
      std::filesystem::path(::testing::TempDir()) /
      (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".yaml");
  std::ofstream(path) << contents;
  return path;
}

TEST(YamlProtoTest, ReadsNestedSftConfig) {
  fulcrum::v1::SftConfig config;
  const absl::Status status = Parse(R"(
train_path: data/sft.jsonl
steps: 200
seed: 18446744073709551615
task:
  name: addition
  max_digits: 3
model:
  d_model: 64
  value_head: true
  rope_theta: 1e4
optimizer:
  lr: 3.0e-4
  warmup_steps: -1
)",
                                    &config);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(config.train_path(), "data/sft.jsonl");
  EXPECT_EQ(config.steps(), 200);
  EXPECT_EQ(config.seed(), 18446744073709551615ULL);
  EXPECT_EQ(config.task().name(), "addition");
  EXPECT_EQ(config.task().max_digits(), 3);
  EXPECT_EQ(config.model().d_model(), 64);
  EXPECT_TRUE(config.model().value_head());
  EXPECT_FLOAT_EQ(config.model().rope_theta(), 1e4f);
  EXPECT_FLOAT_EQ(config.optimizer().lr(), 3e-4f);
  EXPECT_EQ(config.optimizer().warmup_steps(), -1);
}

TEST(YamlProtoTest, MergesIntoExistingValuesAndNullKeepsThem) {
  fulcrum::v1::SftConfig config;
  config.set_steps(10);
  config.set_batch_size(8);
  config.mutable_optimizer()->set_lr(0.5f);
  ASSERT_TRUE(Parse("batch_size: 4\nsteps:\noptimizer: {weight_decay: 0.1}\n", &config).ok());
  EXPECT_EQ(config.steps(), 10);
  EXPECT_EQ(config.batch_size(), 4);
  EXPECT_FLOAT_EQ(config.optimizer().lr(), 0.5f);
  EXPECT_FLOAT_EQ(config.optimizer().weight_decay(), 0.1f);
}

TEST(YamlProtoTest, EmptyDocumentSetsNothing) {
  fulcrum::v1::SftConfig config;
  ASSERT_TRUE(Parse("", &config).ok());
  EXPECT_EQ(config.ByteSizeLong(), 0u);
}

TEST(YamlProtoTest, UnknownKeyNamesLinePathAndKnownKeys) {
  EXPECT_EQ(ParseError<fulcrum::v1::SftConfig>("steps: 1\noptimizer:\n  lr: 1\n  lrr: 2\n"),
            "test.yaml:4: unknown key 'optimizer.lrr' (known keys: lr, weight_decay, beta1, beta2, "
            "eps, grad_clip, warmup_steps, min_lr_ratio)");
}

TEST(YamlProtoTest, ReportsMistypedScalars) {
  using fulcrum::v1::SftConfig;
  EXPECT_EQ(ParseError<SftConfig>("train_path: a\nsteps: ten\n"),
            "test.yaml:2: 'steps' must be an integer, got 'ten'");
  EXPECT_EQ(ParseError<SftConfig>("steps: 1.5\n"),
            "test.yaml:1: 'steps' must be an integer, got '1.5'");
  EXPECT_EQ(ParseError<SftConfig>("steps: 3000000000\n"),
            "test.yaml:1: 'steps' is out of range for int32, got '3000000000'");
  EXPECT_EQ(ParseError<SftConfig>("seed: -1\n"),
            "test.yaml:1: 'seed' is out of range for uint64, got '-1'");
  EXPECT_EQ(ParseError<SftConfig>("optimizer:\n  lr: fast\n"),
            "test.yaml:2: 'optimizer.lr' must be a number, got 'fast'");
  EXPECT_EQ(ParseError<SftConfig>("optimizer:\n  lr: 1e39\n"),
            "test.yaml:2: 'optimizer.lr' is out of range, got '1e39'");
  EXPECT_EQ(ParseError<SftConfig>("model:\n  value_head: yes\n"),
            "test.yaml:2: 'model.value_head' must be true or false, got 'yes'");
}

TEST(YamlProtoTest, ReportsWrongNodeKinds) {
  using fulcrum::v1::SftConfig;
  EXPECT_EQ(ParseError<SftConfig>("steps:\n  count: 3\n"),
            "test.yaml:2: 'steps' must be an integer, got a map");
  EXPECT_EQ(ParseError<SftConfig>("optimizer: adam\n"),
            "test.yaml:1: 'optimizer' must be a map of keys, got 'adam'");
  EXPECT_EQ(ParseError<SftConfig>("- steps: 3\n"),
            "test.yaml:1: the configuration must be a map of keys, got a list");
  EXPECT_EQ(ParseError<SftConfig>("steps: 1\nsteps: 2\n"), "test.yaml:2: duplicate key 'steps'");
}

TEST(YamlProtoTest, ReadsOtherScalarTypes) {
  google::protobuf::Int64Value int64;
  ASSERT_TRUE(Parse("value: -9000000000", &int64).ok());
  EXPECT_EQ(int64.value(), -9000000000LL);
  google::protobuf::UInt32Value uint32;
  ASSERT_TRUE(Parse("value: 4294967295", &uint32).ok());
  EXPECT_EQ(uint32.value(), 4294967295u);
  EXPECT_EQ(ParseError<google::protobuf::UInt32Value>("value: 4294967296"),
            "test.yaml:1: 'value' is out of range for uint32, got '4294967296'");
  google::protobuf::DoubleValue real;
  ASSERT_TRUE(Parse("value: -.inf", &real).ok());
  EXPECT_EQ(real.value(), -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(Parse("value: 1e300", &real).ok());
  EXPECT_EQ(real.value(), 1e300);
}

TEST(YamlProtoTest, ReadsEnumsAndRepeatedFields) {
  google::protobuf::Type type;
  type.add_oneofs("stale");
  const absl::Status status = Parse(R"(
name: Point
syntax: SYNTAX_PROTO3
oneofs: [a, b]
fields:
  - name: x
    kind: TYPE_INT32
    number: 1
  - name: y
    kind: TYPE_DOUBLE
)",
                                    &type);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(type.syntax(), google::protobuf::SYNTAX_PROTO3);
  EXPECT_THAT(type.oneofs(), ElementsAre("a", "b"));
  ASSERT_EQ(type.fields_size(), 2);
  EXPECT_EQ(type.fields(0).kind(), google::protobuf::Field::TYPE_INT32);
  EXPECT_EQ(type.fields(0).number(), 1);
  EXPECT_EQ(type.fields(1).name(), "y");

  google::protobuf::SourceCodeInfo_Location location;
  ASSERT_TRUE(Parse("path: [4, -2, 7]", &location).ok());
  EXPECT_THAT(location.path(), ElementsAre(4, -2, 7));
}

TEST(YamlProtoTest, ReportsBadEnumsAndListElements) {
  EXPECT_EQ(ParseError<google::protobuf::Type>("syntax: PROTO4"),
            "test.yaml:1: 'syntax' must be one of SYNTAX_PROTO2, SYNTAX_PROTO3, got 'PROTO4'");
  EXPECT_EQ(ParseError<google::protobuf::Type>("oneofs: a"),
            "test.yaml:1: 'oneofs' must be a list, got 'a'");
  EXPECT_EQ(
      ParseError<google::protobuf::Type>("fields:\n  - name: x\n  - nmae: y\n"),
      "test.yaml:3: unknown key 'fields[1].nmae' (known keys: kind, cardinality, number, name, "
      "type_url, oneof_index, packed, options, json_name, default_value)");
  EXPECT_EQ(ParseError<google::protobuf::SourceCodeInfo_Location>("path:\n  - 1\n  - x\n"),
            "test.yaml:3: 'path[1]' must be an integer, got 'x'");
}

TEST(YamlProtoTest, RejectsTwoMembersOfAOneof) {
  EXPECT_EQ(ParseError<google::protobuf::Value>("number_value: 1\nstring_value: x\n"),
            "test.yaml:2: 'string_value' and 'number_value' exclude each other; set only one");
}

TEST(YamlProtoTest, LoadYamlProtoNamesTheFile) {
  const std::string path = WriteTestFile("steps: 5\nmodel:\n  n_layer: two\n");
  fulcrum::v1::SftConfig config;
  absl::Status status = LoadYamlProto(path, &config);
  EXPECT_EQ(status.message(), path + ":3: 'model.n_layer' must be an integer, got 'two'");

  const std::string good = WriteTestFile("steps: 5\nmodel:\n  n_layer: 2\n");
  ASSERT_TRUE(LoadYamlProto(good, &config).ok());
  EXPECT_EQ(config.model().n_layer(), 2);
}

TEST(YamlProtoTest, LoadYamlProtoReportsSyntaxErrorsWithLine) {
  const std::string path = WriteTestFile("steps: 5\nmodel:\n  n_layer: [1, 2\nseed: 3\n");
  fulcrum::v1::SftConfig config;
  absl::Status status = LoadYamlProto(path, &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith(path + ":"));
  EXPECT_THAT(status.message(), HasSubstr(": invalid YAML: "));
}

TEST(YamlProtoTest, LoadYamlProtoMissingFileIsNotFound) {
  fulcrum::v1::SftConfig config;
  const std::string path = std::filesystem::path(::testing::TempDir()) / "absent.yaml";
  absl::Status status = LoadYamlProto(path, &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(path));
}

}  // namespace
}  // namespace fulcrum
