#include "core/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "core/torch_status.h"

namespace fulcrum {
namespace {

// Tensor bytes are copied as they sit in memory, and the format is little-endian.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

// The reference implementation's limit: a larger header is a hostile or corrupt file.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

struct Dtype {
  const char* name;
  torch::ScalarType type;
  uint64_t size;
};

constexpr Dtype kDtypes[] = {
    {"F64", torch::kDouble, 8},    {"F32", torch::kFloat, 4}, {"F16", torch::kHalf, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kLong, 8},  {"I32", torch::kInt, 4},
    {"I16", torch::kShort, 2},     {"I8", torch::kChar, 1},   {"U8", torch::kByte, 1},
    {"BOOL", torch::kBool, 1},
};

const Dtype* DtypeByName(std::string_view name) {
  for (const Dtype& dtype : kDtypes) {
    if (std::string_view(dtype.name) == name) return &dtype;
  }
  return nullptr;
}

const Dtype* DtypeByType(torch::ScalarType type) {
  for (const Dtype& dtype : kDtypes) {
    if (dtype.type == type) return &dtype;
  }
  return nullptr;
}

// One header entry after validation; the tensor itself is built only once all entries pass.
struct Entry {
  std::string name;
  const Dtype* dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

template <typename... Parts>
absl::Status Invalid(absl::string_view source, const Parts&... parts) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", parts...));
}

std::string OffsetsText(uint64_t begin, uint64_t end) {
  return absl::StrCat("data_offsets [", begin, ", ", end, "]");
}

void AppendU64(uint64_t value, std::string& out) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadU64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

// nlohmann keeps the last of two equal keys silently; a header that names a tensor twice is
// ambiguous, so the parse callback records the first repeated key at any depth.
absl::StatusOr<nlohmann::json> ParseHeaderJson(std::string_view header, absl::string_view source) {
  if (header.empty() || header.front() != '{')
    return Invalid(source, "header does not start with '{'");
  std::vector<std::set<std::string>> keys_by_depth(1);
  std::optional<std::string> duplicate;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    const size_t level = static_cast<size_t>(depth);
    if (event == nlohmann::json::parse_event_t::object_start) {
      if (keys_by_depth.size() < level + 2) keys_by_depth.resize(level + 2);
      keys_by_depth[level + 1].clear();
    } else if (event == nlohmann::json::parse_event_t::key && !duplicate.has_value()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys_by_depth[level].insert(key).second) {
        duplicate = level == 1 ? absl::StrCat("duplicate tensor name '", key, "'")
                               : absl::StrCat("duplicate key '", key, "' in header");
      }
    }
    return true;
  };
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header.begin(), header.end(), on_event);
  } catch (const nlohmann::json::exception& e) {
    return Invalid(source, "header is not valid JSON: ", e.what());
  }
  if (duplicate.has_value()) return Invalid(source, *duplicate);
  if (!json.is_object()) return Invalid(source, "header is not a JSON object");
  return json;
}

absl::StatusOr<std::map<std::string, std::string>> ParseMetadata(const nlohmann::json& json,
                                                                 absl::string_view source) {
  if (!json.is_object()) return Invalid(source, "__metadata__ is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) {
      return Invalid(source, "__metadata__ key '", key, "' is a ", value.type_name(),
                     ", expected a string");
    }
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

// Accepts only JSON integers in [0, 2^63): a shape or offset that does not fit int64 cannot
// describe anything torch could hold.
std::optional<uint64_t> NonNegativeInteger(const nlohmann::json& json) {
  if (json.is_number_unsigned()) {
    const uint64_t value = json.get<uint64_t>();
    if (value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return value;
  } else if (json.is_number_integer() && json.get<int64_t>() >= 0) {
    return static_cast<uint64_t>(json.get<int64_t>());
  }
  return std::nullopt;
}

absl::StatusOr<Entry> ParseEntry(const std::string& name, const nlohmann::json& json,
                                 uint64_t data_size, absl::string_view source) {
  const std::string where = absl::StrCat("tensor '", name, "': ");
  if (!json.is_object()) return Invalid(source, where, "entry is not a JSON object");
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!json.contains(field)) return Invalid(source, where, "missing field '", field, "'");
  }
  Entry entry{name, nullptr, {}, 0, 0};
  const nlohmann::json& dtype = json["dtype"];
  if (dtype.is_string()) entry.dtype = DtypeByName(dtype.get_ref<const std::string&>());
  if (entry.dtype == nullptr) {
    return Invalid(source, where, "unsupported dtype ", dtype.dump(),
                   " (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  }
  const nlohmann::json& shape = json["shape"];
  if (!shape.is_array()) return Invalid(source, where, "shape is not an array");
  uint64_t elements = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    const std::optional<uint64_t> dim = NonNegativeInteger(shape[i]);
    if (!dim.has_value()) {
      return Invalid(source, where, "shape dimension ", i, " is ", shape[i].dump(),
                     ", expected a non-negative integer");
    }
    entry.shape.push_back(static_cast<int64_t>(*dim));
    overflow = overflow || __builtin_mul_overflow(elements, *dim, &elements);
  }
  const nlohmann::json& offsets = json["data_offsets"];
  std::optional<uint64_t> begin, end;
  if (offsets.is_array() && offsets.size() == 2) {
    begin = NonNegativeInteger(offsets[0]);
    end = NonNegativeInteger(offsets[1]);
  }
  if (!begin.has_value() || !end.has_value()) {
    return Invalid(source, where, "data_offsets ", offsets.dump(),
                   " is not a pair of non-negative integers");
  }
  entry.begin = *begin;
  entry.end = *end;
  if (entry.begin > entry.end || entry.end > data_size) {
    return Invalid(source, where, OffsetsText(entry.begin, entry.end), " out of range (data is ",
                   data_size, " bytes)");
  }
  uint64_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(elements, entry.dtype->size, &bytes);
  const std::string shape_text = absl::StrCat("shape [", absl::StrJoin(entry.shape, ", "), "]");
  if (overflow) return Invalid(source, where, shape_text, " overflows its byte size");
  if (bytes != entry.end - entry.begin) {
    return Invalid(source, where, shape_text, " of ", entry.dtype->name, " needs ", bytes,
                   " bytes but ", OffsetsText(entry.begin, entry.end), " span ",
                   entry.end - entry.begin);
  }
  return entry;
}

// The spec requires the tensors to tile the data buffer exactly: no gaps, no overlaps, nothing
// after the last one. Sorts `entries` into file order.
absl::Status CheckLayout(std::vector<Entry>& entries, uint64_t data_size,
                         absl::string_view source) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : entries) {
    const std::string where = absl::StrCat("tensor '", entry.name, "': ");
    if (entry.begin < covered) {
      return Invalid(source, where, OffsetsText(entry.begin, entry.end), " overlap tensor '",
                     previous->name, "' (", OffsetsText(previous->begin, previous->end), ")");
    }
    if (entry.begin > covered) {
      return Invalid(source, where, OffsetsText(entry.begin, entry.end), " leave a gap of ",
                     entry.begin - covered, " bytes after offset ", covered);
    }
    covered = entry.end;
    previous = &entry;
  }
  if (covered != data_size) {
    return Invalid(source, "tensors cover ", covered, " bytes but the data is ", data_size,
                   " bytes");
  }
  return absl::OkStatus();
}

// torch assumes every bool byte is 0 or 1; other values make comparisons and sums undefined.
absl::Status CheckBoolBytes(const Entry& entry, std::string_view data, absl::string_view source) {
  for (uint64_t i = entry.begin; i < entry.end; ++i) {
    const auto byte = static_cast<unsigned char>(data[i]);
    if (byte > 1) {
      return Invalid(source, "tensor '", entry.name, "': BOOL element ", i - entry.begin, " is ",
                     static_cast<int>(byte), ", expected 0 or 1");
    }
  }
  return absl::OkStatus();
}

}  // namespace

const torch::Tensor* SafetensorsFile::Find(std::string_view name) const {
  for (const auto& [tensor_name, tensor] : tensors) {
    if (tensor_name == name) return &tensor;
  }
  return nullptr;
}

absl::StatusOr<std::string> SerializeSafetensors(
    const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  std::vector<torch::Tensor> contiguous;
  std::set<std::string_view> names;
  uint64_t data_size = 0;
  for (const auto& [name, tensor] : tensors) {
    const std::string where = absl::StrCat("serializing tensor '", name, "': ");
    if (name == kMetadataKey)
      return absl::InvalidArgumentError(absl::StrCat(where, "reserved name"));
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "name used twice"));
    }
    if (!tensor.defined())
      return absl::InvalidArgumentError(absl::StrCat(where, "undefined tensor"));
    if (tensor.layout() != torch::kStrided) {
      return absl::InvalidArgumentError(absl::StrCat(where, "only dense tensors can be saved"));
    }
    const Dtype* dtype = DtypeByType(tensor.scalar_type());
    if (dtype == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unsupported dtype ", c10::toString(tensor.scalar_type())));
    }
    FULCRUM_ASSIGN_OR_RETURN(torch::Tensor cpu, TorchCall(where, [&tensor] {
                               return tensor.detach().to(torch::kCPU).contiguous();
                             }));
    const uint64_t bytes = cpu.nbytes();
    header[name] = {{"dtype", std::string(dtype->name)},
                    {"shape", cpu.sizes().vec()},
                    {"data_offsets", {data_size, data_size + bytes}}};
    data_size += bytes;
    contiguous.push_back(std::move(cpu));
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "serializing safetensors header (names and metadata must be UTF-8): ", e.what()));
  }
  // Padding with spaces keeps the data 8-byte aligned, as the reference writer does.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + header_text.size() + data_size);
  AppendU64(header_text.size(), out);
  out += header_text;
  for (const torch::Tensor& tensor : contiguous) {
    if (tensor.nbytes() > 0)
      out.append(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes());
  }
  return out;
}

absl::Status WriteSafetensors(const std::string& path, const NamedTensors& tensors,
                              const std::map<std::string, std::string>& metadata) {
  FULCRUM_ASSIGN_OR_RETURN(std::string bytes, SerializeSafetensors(tensors, metadata));
  return WriteFileAtomic(path, bytes);
}

absl::StatusOr<SafetensorsFile> ParseSafetensors(std::string_view bytes,
                                                 std::string_view source_name) {
  const absl::string_view source(source_name.data(), source_name.size());
  if (bytes.size() < 8) {
    return Invalid(source, "file is ", bytes.size(),
                   " bytes, too short for the 8-byte header length");
  }
  const uint64_t header_size = ReadU64(bytes);
  if (header_size > kMaxHeaderBytes) {
    return Invalid(source, "header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes,
                   " bytes");
  }
  if (header_size > bytes.size() - 8) {
    return Invalid(source, "header length ", header_size, " is larger than the ", bytes.size() - 8,
                   " bytes that follow it (truncated file?)");
  }
  const std::string_view header = bytes.substr(8, header_size);
  const std::string_view data = bytes.substr(8 + header_size);
  FULCRUM_ASSIGN_OR_RETURN(const nlohmann::json json, ParseHeaderJson(header, source));
  SafetensorsFile file;
  std::vector<Entry> entries;
  for (const auto& [key, value] : json.items()) {
    if (key == kMetadataKey) {
      FULCRUM_ASSIGN_OR_RETURN(file.metadata, ParseMetadata(value, source));
      continue;
    }
    FULCRUM_ASSIGN_OR_RETURN(Entry entry, ParseEntry(key, value, data.size(), source));
    entries.push_back(std::move(entry));
  }
  FULCRUM_RETURN_IF_ERROR(CheckLayout(entries, data.size(), source));
  for (const Entry& entry : entries) {
    if (entry.dtype->type == torch::kBool)
      FULCRUM_RETURN_IF_ERROR(CheckBoolBytes(entry, data, source));
  }
  FULCRUM_RETURN_IF_ERROR(TorchCall(absl::StrCat(source, ": allocating tensors"), [&] {
    for (const Entry& entry : entries) {
      torch::Tensor tensor =
          torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype->type));
      if (entry.end > entry.begin)
        std::memcpy(tensor.data_ptr(), data.data() + entry.begin, entry.end - entry.begin);
      file.tensors.emplace_back(entry.name, std::move(tensor));
    }
  }));
  return file;
}

absl::StatusOr<SafetensorsFile> ReadSafetensors(const std::string& path) {
  FULCRUM_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(path));
  return ParseSafetensors(bytes, path);
}

}  // namespace fulcrum
