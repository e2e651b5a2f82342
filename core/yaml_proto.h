// Maps YAML configuration onto protobuf messages by reflection, so proto/fulcrum/v1/config.proto is
// the one schema of every Fulcrum config. Keys are proto field names; nested messages are YAML
// maps, repeated fields are YAML lists, enums are spelled by value name. Errors are InvalidArgument
// and name the source, line and dotted key path, e.g.
//   configs/sft.yaml:12: unknown key 'optimizer.lrr' (known keys: lr, weight_decay, ...)
//   configs/sft.yaml:7: 'steps' must be an integer, got 'ten'
#ifndef FULCRUM_CORE_YAML_PROTO_H_
#define FULCRUM_CORE_YAML_PROTO_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace fulcrum {

// Merges the YAML map `node` into `message`: a key present in YAML overwrites the field (a list
// replaces the whole repeated field), fields not named keep their values, and a null value (`key:`
// or `key: ~`) leaves the field as it is. `source` names the YAML's origin in errors. Map fields
// are not supported.
absl::Status YamlToProto(const YAML::Node& node, google::protobuf::Message* message,
                         std::string_view source);

// Reads the YAML file at `path` into `message` as YamlToProto does; YAML syntax errors are reported
// with file and line too. A missing file is NOT_FOUND.
absl::Status LoadYamlProto(const std::string& path, google::protobuf::Message* message);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_YAML_PROTO_H_
