#include "tasks/canonical_integer.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

TEST(CanonicalIntegerTest, AcceptsPlainDigits) {
  EXPECT_TRUE(CheckCanonicalInteger("0", 32).ok());
  EXPECT_TRUE(CheckCanonicalInteger("1234567890", 32).ok());
  EXPECT_TRUE(CheckCanonicalInteger(std::string(32, '9'), 32).ok());
}

TEST(CanonicalIntegerTest, RejectsEverythingElseWithAReason) {
  EXPECT_THAT(CheckCanonicalInteger("", 32).message(), HasSubstr("empty"));
  EXPECT_THAT(CheckCanonicalInteger("012", 32).message(), HasSubstr("leading zero"));
  EXPECT_THAT(CheckCanonicalInteger("00", 32).message(), HasSubstr("leading zero"));
  EXPECT_THAT(CheckCanonicalInteger("+12", 32).message(), HasSubstr("'+' at position 0"));
  EXPECT_THAT(CheckCanonicalInteger("12 ", 32).message(), HasSubstr("' ' at position 2"));
  EXPECT_THAT(CheckCanonicalInteger("1\n2", 32).message(), HasSubstr("byte 0x0a"));
  EXPECT_THAT(CheckCanonicalInteger(std::string(33, '9'), 32).message(),
              HasSubstr("33 characters"));
}

TEST(CanonicalIntegerTest, ParseReportsOverflow) {
  EXPECT_EQ(ParseCanonicalInteger("9223372036854775807").value(), 9223372036854775807);
  EXPECT_EQ(ParseCanonicalInteger("9223372036854775808").status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ParseCanonicalInteger("-1").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalIntegerTest, DescribeByteShowsUnprintableBytesInHex) {
  EXPECT_EQ(DescribeByte('a'), "'a'");
  EXPECT_EQ(DescribeByte('\xef'), "byte 0xef");
  EXPECT_EQ(DescribeByte('\0'), "byte 0x00");
}

}  // namespace
}  // namespace fulcrum
