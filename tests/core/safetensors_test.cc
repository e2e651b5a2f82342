#include "core/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSource[] = "model.safetensors";

// A file with an arbitrary header-length field, for files whose length field lies.
std::string FileWithLength(uint64_t header_length, std::string_view rest) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(header_length >> (8 * i)));
  out += rest;
  return out;
}

std::string File(std::string_view header, std::string_view data) {
  return FileWithLength(header.size(), std::string(header) + std::string(data));
}

// The error message ParseSafetensors gives, or "<accepted>"; every rejection is INVALID_ARGUMENT
// and starts with the source name.
std::string Rejection(std::string_view bytes) {
  absl::StatusOr<SafetensorsFile> parsed = ParseSafetensors(bytes, kSource);
  if (parsed.ok()) return "<accepted>";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), StartsWith(absl::StrCat(kSource, ": ")));
  return std::string(parsed.status().message());
}

std::string Entry(absl::string_view dtype, absl::string_view shape, absl::string_view offsets) {
  return absl::StrCat(R"({"dtype":")", dtype, R"(","shape":)", shape, R"(,"data_offsets":)",
                      offsets, "}");
}

const std::string kEightBytes(8, '\0');

NamedTensors EveryDtype() {
  return {
      {"f64", torch::tensor({1.5, -2.25}, torch::kDouble)},
      {"f32", torch::arange(6, torch::kFloat).reshape({2, 3})},
      {"f16", torch::tensor({0.5, 65504.0}).to(torch::kHalf)},
      {"bf16", torch::tensor({1.5, 2.5}).to(torch::kBFloat16)},
      {"i64", torch::tensor({-5, 7, 100}, torch::kLong)},
      {"i32",
       torch::tensor({std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()})},
      {"i16", torch::tensor({-300, 300}).to(torch::kShort)},
      {"i8", torch::tensor({-128, 127}).to(torch::kChar)},
      {"u8", torch::tensor({0, 255}).to(torch::kByte)},
      {"bool", torch::tensor({true, false, true})},
  };
}

TEST(SafetensorsTest, RoundTripsEveryDtypeAndShape) {
  NamedTensors tensors = EveryDtype();
  tensors.emplace_back("transposed", torch::arange(6, torch::kFloat).reshape({2, 3}).t());
  tensors.emplace_back("strided", torch::arange(10, torch::kLong).slice(0, 0, 10, 3));
  tensors.emplace_back("scalar", torch::tensor(3.25, torch::kFloat));
  tensors.emplace_back("empty", torch::zeros({0, 3}, torch::kHalf));
  ASSERT_FALSE(tensors[10].second.is_contiguous());

  absl::StatusOr<std::string> bytes = SerializeSafetensors(tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<SafetensorsFile> parsed = ParseSafetensors(*bytes, kSource);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, expected] = tensors[i];
    const auto& [parsed_name, actual] = parsed->tensors[i];
    EXPECT_EQ(parsed_name, name) << "file order must be the order given";
    EXPECT_EQ(actual.scalar_type(), expected.scalar_type()) << name;
    EXPECT_EQ(actual.sizes(), expected.sizes()) << name;
    EXPECT_TRUE(torch::equal(actual, expected)) << name;
  }
  EXPECT_EQ(parsed->tensors[12].second.dim(), 0);
  EXPECT_EQ(parsed->metadata.size(), 0u);
}

TEST(SafetensorsTest, ParsedTensorsOwnTheirMemory) {
  std::string bytes = SerializeSafetensors({{"x", torch::tensor({1.0f, 2.0f})}}).value();
  SafetensorsFile file = ParseSafetensors(bytes, kSource).value();
  bytes.assign(bytes.size(), '\x7f');
  EXPECT_TRUE(torch::equal(file.tensors[0].second, torch::tensor({1.0f, 2.0f})));
}

TEST(SafetensorsTest, WritesTheExactBytesOfTheSpec) {
  // 54 bytes of JSON padded with 2 spaces to 56 = 0x38; then 1.0f and 2.0f little-endian.
  const std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(header.size(), 54u);
  const std::string expected = std::string("\x38\0\0\0\0\0\0\0", 8) + header + "  " +
                               std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
  absl::StatusOr<std::string> bytes = SerializeSafetensors({{"x", torch::tensor({1.0f, 2.0f})}});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, expected);
}

TEST(SafetensorsTest, MetadataRoundTripsAndComesFirst) {
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"step", "12"}};
  std::string bytes = SerializeSafetensors({{"w", torch::ones({2})}}, metadata).value();
  EXPECT_EQ(bytes.substr(8, 16), R"({"__metadata__":)");
  EXPECT_EQ((bytes.size() - 8 - 8) % 8, 0u) << "data must start 8-byte aligned";
  SafetensorsFile file = ParseSafetensors(bytes, kSource).value();
  EXPECT_EQ(file.metadata, metadata);
}

TEST(SafetensorsTest, FindLooksUpByName) {
  SafetensorsFile file =
      ParseSafetensors(SerializeSafetensors(EveryDtype()).value(), kSource).value();
  const torch::Tensor* i64 = file.Find("i64");
  ASSERT_NE(i64, nullptr);
  EXPECT_EQ(i64->sum().item<int64_t>(), 102);
  EXPECT_EQ(file.Find("missing"), nullptr);
}

TEST(SafetensorsTest, WriteAndReadAFile) {
  const std::string path =
      testing::TempDir() + "safetensors_write_read_" + std::to_string(getpid()) + ".safetensors";
  ASSERT_TRUE(WriteSafetensors(path, EveryDtype(), {{"k", "v"}}).ok());
  absl::StatusOr<SafetensorsFile> file = ReadSafetensors(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->tensors.size(), EveryDtype().size());
  EXPECT_EQ(file->metadata.at("k"), "v");
  EXPECT_EQ(ReadSafetensors(path).status().code(), absl::StatusCode::kNotFound);
}

TEST(SafetensorsTest, SerializeRejectsWhatTheFormatCannotHold) {
  auto message = [](const NamedTensors& tensors) {
    return std::string(SerializeSafetensors(tensors).status().message());
  };
  EXPECT_THAT(message({{"a", torch::ones({1})}, {"a", torch::ones({1})}}),
              HasSubstr("name used twice"));
  EXPECT_THAT(message({{"__metadata__", torch::ones({1})}}), HasSubstr("reserved name"));
  EXPECT_THAT(message({{"c", torch::ones({1}, torch::kComplexFloat)}}),
              HasSubstr("unsupported dtype"));
  EXPECT_THAT(message({{"u", torch::Tensor()}}), HasSubstr("undefined tensor"));
  EXPECT_THAT(message({{"bad\xff", torch::ones({1})}}), HasSubstr("must be UTF-8"));
}

TEST(SafetensorsTest, RejectsTruncatedFiles) {
  const std::string bytes = SerializeSafetensors(EveryDtype()).value();
  const size_t data_start = 8 + (bytes[0] & 0xff) + ((bytes[1] & 0xff) << 8);
  for (size_t cut : {size_t{0}, size_t{7}}) {
    EXPECT_THAT(Rejection(bytes.substr(0, cut)),
                HasSubstr("too short for the 8-byte header length"));
  }
  for (size_t cut : {size_t{8}, size_t{9}, data_start - 1}) {
    EXPECT_THAT(Rejection(bytes.substr(0, cut)),
                HasSubstr("bytes that follow it (truncated file?)"))
        << "cut at " << cut;
  }
  // Cut inside the data: the last tensors' offsets now point past the end.
  for (size_t cut : {data_start + 1, bytes.size() - 1}) {
    EXPECT_THAT(Rejection(bytes.substr(0, cut)), HasSubstr("out of range")) << "cut at " << cut;
  }
  // Cut exactly at the data start: every non-empty tensor is out of range.
  EXPECT_THAT(Rejection(bytes.substr(0, data_start)), HasSubstr("(data is 0 bytes)"));
}

TEST(SafetensorsTest, RejectsHeaderLengths) {
  EXPECT_THAT(Rejection(FileWithLength(100, "{}")),
              HasSubstr("header length 100 is larger than the 2 bytes that follow it"));
  EXPECT_THAT(Rejection(FileWithLength(uint64_t{1} << 40, "{}")),
              HasSubstr("header length 1099511627776 exceeds the limit of 100000000 bytes"));
}

TEST(SafetensorsTest, RejectsHeadersThatAreNotAJsonObject) {
  EXPECT_THAT(Rejection(File(R"({"w": )", "")), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(Rejection(File("{not json}", "")), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(Rejection(File("[1, 2]", "")), HasSubstr("header does not start with '{'"));
  EXPECT_THAT(Rejection(File("", "")), HasSubstr("header does not start with '{'"));
  EXPECT_THAT(Rejection(File(R"({"w": 3})", "")),
              HasSubstr("tensor 'w': entry is not a JSON object"));
  EXPECT_THAT(Rejection(File(R"({"w": {"dtype": "F32", "shape": [0]}})", "")),
              HasSubstr("tensor 'w': missing field 'data_offsets'"));
}

TEST(SafetensorsTest, RejectsBadEntries) {
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("Q8", "[8]", "[0,8]"), "}"), kEightBytes)),
      HasSubstr(R"(tensor 'w': unsupported dtype "Q8")"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("F32", "[3]", "[0,8]"), "}"), kEightBytes)),
      HasSubstr("tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8"));
  EXPECT_EQ(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("U8", "[9]", "[0,9]"), "}"), kEightBytes)),
      "model.safetensors: tensor 'w': data_offsets [0, 9] out of range (data is 8 bytes)");
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("U8", "[0]", "[5,4]"), "}"), kEightBytes)),
      HasSubstr("tensor 'w': data_offsets [5, 4] out of range"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("F32", "[2,-1]", "[0,8]"), "}"), kEightBytes)),
      HasSubstr("tensor 'w': shape dimension 1 is -1, expected a non-negative integer"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("F32", "[2.0]", "[0,8]"), "}"), kEightBytes)),
      HasSubstr("tensor 'w': shape dimension 0 is 2.0"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"w":)", Entry("U8", "[8]", "[-1,8]"), "}"), kEightBytes)),
      HasSubstr("tensor 'w': data_offsets [-1,8] is not a pair of non-negative integers"));
  EXPECT_THAT(Rejection(File(
                  absl::StrCat(R"({"w":)", Entry("F32", "[4611686018427387904,4]", "[0,8]"), "}"),
                  kEightBytes)),
              HasSubstr("tensor 'w': shape [4611686018427387904, 4] overflows its byte size"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"b":)", Entry("BOOL", "[2]", "[0,2]"), "}"), "\x01\x02")),
      HasSubstr("tensor 'b': BOOL element 1 is 2, expected 0 or 1"));
  EXPECT_THAT(Rejection(File(R"({"__metadata__":{"k":1}})", "")),
              HasSubstr("__metadata__ key 'k' is a number, expected a string"));
}

TEST(SafetensorsTest, RejectsLayoutsThatDoNotTileTheData) {
  const std::string twelve(12, '\0');
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"a":)", Entry("F32", "[2]", "[0,8]"), R"(,"b":)",
                                  Entry("F32", "[2]", "[4,12]"), "}"),
                     twelve)),
      HasSubstr("tensor 'b': data_offsets [4, 12] overlap tensor 'a' (data_offsets [0, 8])"));
  EXPECT_THAT(Rejection(File(absl::StrCat(R"({"a":)", Entry("F32", "[1]", "[0,4]"), R"(,"b":)",
                                          Entry("F32", "[1]", "[8,12]"), "}"),
                             twelve)),
              HasSubstr("tensor 'b': data_offsets [8, 12] leave a gap of 4 bytes after offset 4"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"a":)", Entry("F32", "[1]", "[4,8]"), "}"), kEightBytes)),
      HasSubstr("tensor 'a': data_offsets [4, 8] leave a gap of 4 bytes after offset 0"));
  EXPECT_THAT(
      Rejection(File(absl::StrCat(R"({"a":)", Entry("F32", "[1]", "[0,4]"), "}"), kEightBytes)),
      HasSubstr("tensors cover 4 bytes but the data is 8 bytes"));
  // Empty tensors may sit at any boundary, including the same one.
  EXPECT_EQ(Rejection(File(absl::StrCat(R"({"a":)", Entry("F32", "[2]", "[0,8]"), R"(,"e":)",
                                        Entry("F32", "[0]", "[8,8]"), R"(,"f":)",
                                        Entry("I8", "[0,3]", "[8,8]"), "}"),
                           kEightBytes)),
            "<accepted>");
}

TEST(SafetensorsTest, RejectsDuplicateNames) {
  EXPECT_THAT(Rejection(File(absl::StrCat(R"({"w":)", Entry("U8", "[4]", "[0,4]"), R"(,"w":)",
                                          Entry("U8", "[4]", "[4,8]"), "}"),
                             kEightBytes)),
              HasSubstr("duplicate tensor name 'w'"));
  EXPECT_THAT(
      Rejection(File(R"({"w":{"dtype":"U8","dtype":"F32","shape":[8],"data_offsets":[0,8]}})",
                     kEightBytes)),
      HasSubstr("duplicate key 'dtype' in header"));
}

TEST(SafetensorsTest, ParsesFilesFromOtherWriters) {
  // Unsorted keys, whitespace and trailing padding, as other implementations may write them.
  SafetensorsFile file =
      ParseSafetensors(File(R"({ "b" : {"shape":[1],"data_offsets":[4,8],"dtype":"I32"},
                                 "a" : {"dtype":"I32","shape":[],"data_offsets":[0,4]} }   )",
                            std::string("\x07\0\0\0\xfe\xff\xff\xff", 8)),
                       kSource)
          .value();
  ASSERT_EQ(file.tensors.size(), 2u);
  EXPECT_EQ(file.tensors[0].first, "a");
  EXPECT_EQ(file.tensors[0].second.item<int32_t>(), 7);
  EXPECT_EQ(file.tensors[1].first, "b");
  EXPECT_EQ(file.tensors[1].second[0].item<int32_t>(), -2);
}

// The first interpreter on this machine that can import numpy, or "" if none can.
std::string PythonWithNumpy() {
  for (const char* python : {"python3", "/usr/bin/python3"}) {
    const std::string probe = absl::StrCat(python, " -c 'import numpy' >/dev/null 2>&1");
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

std::string RunAndCapture(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

TEST(SafetensorsTest, IndependentPythonReaderAgrees) {
  const std::string python = PythonWithNumpy();
  if (python.empty()) GTEST_SKIP() << "no python3 with numpy";
  const std::string path =
      testing::TempDir() + "safetensors_python_check_" + std::to_string(getpid()) + ".safetensors";
  ASSERT_TRUE(WriteSafetensors(path, EveryDtype(), {{"format", "pt"}}).ok());
  const std::string command = absl::StrCat(python, " scripts/check_safetensors.py ", path);
  const int status = std::system((command + " >/dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  int exit_code = -1;
  const std::string output = RunAndCapture(command, &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_THAT(output, HasSubstr("__metadata__\tformat\tpt\n"));
  EXPECT_THAT(output, HasSubstr("f32\tF32\t[2, 3]\t15.0\n"));
  EXPECT_THAT(output, HasSubstr("f64\tF64\t[2]\t-0.75\n"));
  EXPECT_THAT(output, HasSubstr("bf16\tBF16\t[2]\t4.0\n"));
  EXPECT_THAT(output, HasSubstr("i64\tI64\t[3]\t102\n"));
  EXPECT_THAT(output, HasSubstr("u8\tU8\t[2]\t255\n"));
  EXPECT_THAT(output, HasSubstr("bool\tBOOL\t[3]\t2\n"));

  // The Python reader must also see a damaged file as damaged.
  const std::string bytes = ReadFile(path).value();
  ASSERT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() - 1)).ok());
  RunAndCapture(command + " 2>/dev/null", &exit_code);
  EXPECT_EQ(exit_code, 1);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fulcrum
