// Reads JSON Lines files, the format of every Fulcrum dataset. Each non-blank line must hold one
// JSON object; every error names "path:line" so a user can open the file at the bad record.
#ifndef FULCRUM_CORE_JSONL_H_
#define FULCRUM_CORE_JSONL_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace fulcrum {

inline constexpr size_t kDefaultMaxJsonlLineBytes = size_t{1} << 20;

// Calls `visit` on each line's object in file order, skipping blank lines. An error from `visit` is
// returned prefixed with "path:line: ". Lines longer than `max_line_bytes` are rejected without
// being held in memory, so a binary file passed by mistake fails fast. A missing file is NOT_FOUND.
absl::Status ForEachJsonlObject(const std::string& path, size_t max_line_bytes,
                                const std::function<absl::Status(const nlohmann::json&)>& visit);

// Every object of the file, in order.
absl::StatusOr<std::vector<nlohmann::json>> ReadJsonl(
    const std::string& path, size_t max_line_bytes = kDefaultMaxJsonlLineBytes);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_JSONL_H_
