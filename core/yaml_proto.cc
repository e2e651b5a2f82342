#include "core/yaml_proto.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "google/protobuf/descriptor.h"

namespace fulcrum {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

// Reads YAML nodes into messages, naming `source`, the node's line and the key path in every error.
class YamlWalker {
 public:
  explicit YamlWalker(std::string_view source) : source_(source) {}

  absl::Status ReadMessage(const YAML::Node& node, const std::string& path, Message* message) const;

 private:
  absl::Status ReadField(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message) const;
  absl::Status ReadScalar(const YAML::Node& node, const std::string& path,
                          const FieldDescriptor* field, Message* message) const;

  absl::Status Error(const YAML::Node& node, absl::string_view message) const {
    const int line = node.Mark().line;
    // Nodes yaml-cpp synthesized, such as the value of `key:`, have no line.
    if (line < 0) return absl::InvalidArgumentError(absl::StrCat(source_, ": ", message));
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line + 1, ": ", message));
  }

  std::string source_;
};

// How a node reads in "..., got <Describe(node)>".
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return absl::StrCat("'", node.Scalar(), "'");
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

std::string KnownKeys(const Descriptor* descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->field_count(); ++i) names.push_back(descriptor->field(i)->name());
  return absl::StrJoin(names, ", ");
}

// What a scalar field accepts, as in "'<path>' must be <ExpectedScalar(field)>".
std::string ExpectedScalar(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return "a number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return "an enum value name";
    case FieldDescriptor::CPPTYPE_STRING:
      return "a string";
    default:
      return "an integer";
  }
}

bool LooksLikeInteger(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// Errors below read as the continuation of "'<path>' ".
template <typename T>
absl::StatusOr<T> ParseInteger(const std::string& text, absl::string_view type_name) {
  T value;
  if (absl::SimpleAtoi(text, &value)) return value;
  if (LooksLikeInteger(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("is out of range for ", type_name, ", got '", text, "'"));
  }
  return absl::InvalidArgumentError(absl::StrCat("must be an integer, got '", text, "'"));
}

// Accepts decimal and exponent forms plus YAML's .inf / -.inf / .nan.
absl::StatusOr<double> ParseReal(const std::string& text, double max_magnitude) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == ".inf" || lower == "+.inf") return std::numeric_limits<double>::infinity();
  if (lower == "-.inf") return -std::numeric_limits<double>::infinity();
  if (lower == ".nan") return std::numeric_limits<double>::quiet_NaN();
  double value;
  if (!absl::SimpleAtod(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("must be a number, got '", text, "'"));
  }
  // SimpleAtod turns overflow into infinity; only an explicit "inf" may mean that.
  const bool overflow =
      std::isinf(value) ? !absl::StrContains(lower, "inf") : std::fabs(value) > max_magnitude;
  if (overflow)
    return absl::InvalidArgumentError(absl::StrCat("is out of range, got '", text, "'"));
  return value;
}

absl::StatusOr<bool> ParseBool(const std::string& text) {
  // YAML 1.2's core schema spellings; "yes"/"on" are YAML 1.1 and too easy to write by accident.
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return absl::InvalidArgumentError(absl::StrCat("must be true or false, got '", text, "'"));
}

absl::StatusOr<const EnumValueDescriptor*> ParseEnum(const std::string& text,
                                                     const FieldDescriptor* field) {
  const auto* type = field->enum_type();
  if (const EnumValueDescriptor* value = type->FindValueByName(text)) return value;
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) names.push_back(type->value(i)->name());
  return absl::InvalidArgumentError(
      absl::StrCat("must be one of ", absl::StrJoin(names, ", "), ", got '", text, "'"));
}

absl::Status YamlWalker::ReadMessage(const YAML::Node& node, const std::string& path,
                                     Message* message) const {
  if (!node.IsMap()) {
    const std::string what = path.empty() ? "the configuration" : absl::StrCat("'", path, "'");
    return Error(node, absl::StrCat(what, " must be a map of keys, got ", Describe(node)));
  }
  const Descriptor* descriptor = message->GetDescriptor();
  std::set<std::string> seen;
  std::map<const OneofDescriptor*, std::string> oneof_choices;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      return Error(key, absl::StrCat("keys must be names, got ", Describe(key)));
    }
    const std::string& name = key.Scalar();
    const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
    const FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr) {
      return Error(key, absl::StrCat("unknown key '", field_path,
                                     "' (known keys: ", KnownKeys(descriptor), ")"));
    }
    if (!seen.insert(name).second) {
      return Error(key, absl::StrCat("duplicate key '", field_path, "'"));
    }
    // Setting two members of a oneof would silently keep only the last one.
    if (const OneofDescriptor* oneof = field->real_containing_oneof()) {
      const auto [it, first] = oneof_choices.emplace(oneof, name);
      if (!first) {
        return Error(key, absl::StrCat("'", field_path, "' and '", it->second,
                                       "' exclude each other; set only one"));
      }
    }
    FULCRUM_RETURN_IF_ERROR(ReadField(entry.second, field_path, field, message));
  }
  return absl::OkStatus();
}

absl::Status YamlWalker::ReadField(const YAML::Node& node, const std::string& path,
                                   const FieldDescriptor* field, Message* message) const {
  if (field->is_map()) {
    return Error(node,
                 absl::StrCat("'", path, "' is a map field, which YAML configs do not support"));
  }
  if (node.IsNull()) return absl::OkStatus();
  const Reflection* reflection = message->GetReflection();
  if (!field->is_repeated()) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return ReadMessage(node, path, reflection->MutableMessage(message, field));
    }
    return ReadScalar(node, path, field, message);
  }
  if (!node.IsSequence()) {
    return Error(node, absl::StrCat("'", path, "' must be a list, got ", Describe(node)));
  }
  reflection->ClearField(message, field);
  size_t index = 0;
  for (const YAML::Node& element : node) {
    const std::string element_path = absl::StrCat(path, "[", index++, "]");
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      FULCRUM_RETURN_IF_ERROR(
          ReadMessage(element, element_path, reflection->AddMessage(message, field)));
    } else {
      FULCRUM_RETURN_IF_ERROR(ReadScalar(element, element_path, field, message));
    }
  }
  return absl::OkStatus();
}

// Parses one scalar into `field`: sets it, or appends to it when the field is repeated.
absl::Status YamlWalker::ReadScalar(const YAML::Node& node, const std::string& path,
                                    const FieldDescriptor* field, Message* message) const {
  if (!node.IsScalar()) {
    return Error(node, absl::StrCat("'", path, "' must be ", ExpectedScalar(field), ", got ",
                                    Describe(node)));
  }
  const std::string& text = node.Scalar();
  const Reflection* r = message->GetReflection();
  const bool add = field->is_repeated();
  absl::Status status;
  auto store = [&](auto parsed, auto set, auto append) {
    if (!parsed.ok()) {
      status = parsed.status();
    } else if (add) {
      (r->*append)(message, field, *parsed);
    } else {
      (r->*set)(message, field, *parsed);
    }
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      store(ParseInteger<int32_t>(text, "int32"), &Reflection::SetInt32, &Reflection::AddInt32);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      store(ParseInteger<int64_t>(text, "int64"), &Reflection::SetInt64, &Reflection::AddInt64);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      store(ParseInteger<uint32_t>(text, "uint32"), &Reflection::SetUInt32, &Reflection::AddUInt32);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      store(ParseInteger<uint64_t>(text, "uint64"), &Reflection::SetUInt64, &Reflection::AddUInt64);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      store(ParseReal(text, std::numeric_limits<double>::max()), &Reflection::SetDouble,
            &Reflection::AddDouble);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT: {
      absl::StatusOr<double> value = ParseReal(text, std::numeric_limits<float>::max());
      store(value.ok() ? absl::StatusOr<float>(static_cast<float>(*value))
                       : absl::StatusOr<float>(value.status()),
            &Reflection::SetFloat, &Reflection::AddFloat);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      store(ParseBool(text), &Reflection::SetBool, &Reflection::AddBool);
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      store(ParseEnum(text, field), &Reflection::SetEnum, &Reflection::AddEnum);
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      store(absl::StatusOr<std::string>(text), &Reflection::SetString, &Reflection::AddString);
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;  // ReadField handles messages; they never reach here.
  }
  if (!status.ok()) return Error(node, absl::StrCat("'", path, "' ", status.message()));
  return absl::OkStatus();
}

}  // namespace

absl::Status YamlToProto(const YAML::Node& node, google::protobuf::Message* message,
                         std::string_view source) {
  // An empty document sets nothing.
  if (node.IsNull()) return absl::OkStatus();
  return YamlWalker(source).ReadMessage(node, "", message);
}

absl::Status LoadYamlProto(const std::string& path, google::protobuf::Message* message) {
  FULCRUM_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  YAML::Node root;
  // yaml-cpp reports syntax errors only by exception; it stops here.
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", e.mark.line + 1, ": invalid YAML: ", e.msg));
  }
  return YamlToProto(root, message, path);
}

}  // namespace fulcrum
