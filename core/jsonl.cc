#include "core/jsonl.h"

#include <cerrno>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace fulcrum {
namespace {

enum class LineRead { kLine, kEndOfFile, kTooLong };

// Reads up to '\n' (dropped, with a preceding '\r') into `line`, stopping once the line exceeds
// `max_bytes`.
LineRead ReadLine(std::streambuf& in, size_t max_bytes, std::string& line) {
  line.clear();
  for (;;) {
    const int c = in.sbumpc();
    if (c == std::char_traits<char>::eof()) {
      return line.empty() ? LineRead::kEndOfFile : LineRead::kLine;
    }
    if (c == '\n') break;
    if (line.size() == max_bytes) return LineRead::kTooLong;
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return LineRead::kLine;
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1, column 7:
// "; the rest is the useful part, and the column is reported separately.
absl::string_view ParseErrorDetail(absl::string_view what) {
  const size_t bracket = what.find("] ");
  if (bracket != absl::string_view::npos) what.remove_prefix(bracket + 2);
  const size_t colon = what.find(": ");
  if (colon != absl::string_view::npos) what.remove_prefix(colon + 2);
  return what;
}

absl::StatusOr<nlohmann::json> ParseObject(const std::string& line) {
  nlohmann::json value;
  // nlohmann::json reports parse errors only by exception; it stops here.
  try {
    value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at column ", e.byte, ": ", ParseErrorDetail(e.what())));
  }
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", value.type_name()));
  }
  return value;
}

}  // namespace

absl::Status ForEachJsonlObject(const std::string& path, size_t max_line_bytes,
                                const std::function<absl::Status(const nlohmann::json&)>& visit) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", path));
  std::string line;
  for (int line_number = 1;; ++line_number) {
    const LineRead read = ReadLine(*in.rdbuf(), max_line_bytes, line);
    if (read == LineRead::kEndOfFile) return absl::OkStatus();
    if (read == LineRead::kTooLong) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": line is longer than ", max_line_bytes, " bytes"));
    }
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::Status status;
    if (absl::StatusOr<nlohmann::json> value = ParseObject(line); value.ok()) {
      status = visit(*value);
    } else {
      status = value.status();
    }
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(path, ":", line_number, ": ", status.message()));
    }
  }
}

absl::StatusOr<std::vector<nlohmann::json>> ReadJsonl(const std::string& path,
                                                      size_t max_line_bytes) {
  std::vector<nlohmann::json> values;
  absl::Status status = ForEachJsonlObject(path, max_line_bytes, [&](const nlohmann::json& value) {
    values.push_back(value);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return values;
}

}  // namespace fulcrum
