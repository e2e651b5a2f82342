#include "reward_server/scorer_factory.h"

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/status_macros.h"
#include "reward_server/composite_scorer.h"
#include "reward_server/exact_match_scorer.h"
#include "reward_server/format_scorer.h"
#include "reward_server/regex_scorer.h"
#include "reward_server/reward_model_scorer.h"
#include "reward_server/verifier_scorer.h"
#include "tasks/registry.h"

namespace fulcrum {
namespace {

constexpr char kScorerNames[] = "verifier, exact_match, regex, format, reward_model, composite";
constexpr char kPartNames[] = "verifier, exact_match, regex, format, reward_model";

bool IsPartScorer(const std::string& name) {
  return name == "verifier" || name == "exact_match" || name == "regex" || name == "format" ||
         name == "reward_model";
}

bool NeedsTask(const std::string& name) { return name == "verifier" || name == "format"; }

// The part scorers `options` will build: the scorer itself, or the composite's parts.
std::vector<std::string> PartNames(const ScorerOptions& options) {
  if (options.scorer != "composite") return {options.scorer};
  std::vector<std::string> names;
  for (const auto& [name, weight] : options.composite) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<Scorer>> MakePart(const std::string& name,
                                                 const std::shared_ptr<const Task>& task,
                                                 const ScorerOptions& options) {
  if (name == "verifier") return std::make_unique<VerifierScorer>(task);
  if (name == "format") return std::make_unique<FormatScorer>(task);
  if (name == "exact_match") return std::make_unique<ExactMatchScorer>();
  if (name == "reward_model") {
    FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<RewardModelScorer> scorer,
                             RewardModelScorer::Create({.checkpoint = options.checkpoint,
                                                        .normalize = options.normalize}));
    return scorer;
  }
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<RegexScorer> scorer, RegexScorer::Create(options.regex));
  return scorer;
}

}  // namespace

absl::Status ScorerOptions::Validate() const {
  if (scorer != "composite" && !IsPartScorer(scorer)) {
    return absl::InvalidArgumentError(
        absl::StrCat("scorer must be one of ", kScorerNames, ", got '", scorer, "'"));
  }
  if (scorer == "composite" && composite.empty()) {
    return absl::InvalidArgumentError("composite: scorer composite needs at least one part");
  }
  if (scorer != "composite" && !composite.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("composite: set, but scorer is '", scorer, "', not composite"));
  }
  bool uses_regex = false;
  bool uses_task = false;
  bool uses_model = false;
  for (const std::string& name : PartNames(*this)) {
    if (!IsPartScorer(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "composite: part '", name, "' must be one of ", kPartNames));
    }
    uses_regex |= name == "regex";
    uses_task |= NeedsTask(name);
    uses_model |= name == "reward_model";
  }
  for (const auto& [name, weight] : composite) {
    if (!std::isfinite(weight)) {
      return absl::InvalidArgumentError(
          absl::StrCat("composite: weight of part '", name, "' is not finite"));
    }
  }
  if (uses_regex && regex.empty()) {
    return absl::InvalidArgumentError("regex: required by the regex scorer");
  }
  if (!uses_regex && !regex.empty()) {
    return absl::InvalidArgumentError("regex: set, but no regex scorer is in use");
  }
  if (uses_model && checkpoint.empty()) {
    return absl::InvalidArgumentError("checkpoint: required by the reward_model scorer");
  }
  if (!uses_model && !checkpoint.empty()) {
    return absl::InvalidArgumentError("checkpoint: set, but no reward_model scorer is in use");
  }
  if (!uses_model && normalize) {
    return absl::InvalidArgumentError("normalize: set, but no reward_model scorer is in use");
  }
  if (uses_task && task.name().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("task.name: required by scorer '", scorer, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, double>>> ParseCompositeWeights(
    const std::string& spec) {
  std::vector<std::pair<std::string, double>> weights;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::vector<std::string> fields = absl::StrSplit(entry, ':');
    double weight = 0.0;
    if (fields.size() != 2 || fields[0].empty() || !absl::SimpleAtod(fields[1], &weight)) {
      return absl::InvalidArgumentError(
          absl::StrCat("composite: entry '", entry, "' is not name:weight, e.g. verifier:1.0"));
    }
    weights.emplace_back(fields[0], weight);
  }
  return weights;
}

absl::StatusOr<std::unique_ptr<Scorer>> MakeScorer(const ScorerOptions& options) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  std::shared_ptr<const Task> task;
  const std::vector<std::string> names = PartNames(options);
  for (const std::string& name : names) {
    if (NeedsTask(name) && task == nullptr) {
      FULCRUM_ASSIGN_OR_RETURN(task, MakeTask(options.task));
    }
  }
  if (options.scorer != "composite") return MakePart(options.scorer, task, options);
  std::vector<CompositeScorer::Part> parts;
  for (const auto& [name, weight] : options.composite) {
    FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<Scorer> scorer, MakePart(name, task, options));
    parts.push_back({name, weight, std::move(scorer)});
  }
  FULCRUM_ASSIGN_OR_RETURN(std::unique_ptr<CompositeScorer> composite,
                           CompositeScorer::Create(std::move(parts)));
  return composite;
}

absl::Status CheckScorerOptions(const ScorerOptions& options) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  bool task_checked = false;
  std::set<std::string> seen;
  for (const std::string& name : PartNames(options)) {
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("composite: part '", name, "' repeats"));
    }
    if (NeedsTask(name) && !task_checked) {
      FULCRUM_RETURN_IF_ERROR(MakeTask(options.task).status());
      task_checked = true;
    }
    if (name == "regex") {
      FULCRUM_RETURN_IF_ERROR(RegexScorer::Create(options.regex).status());
    }
  }
  return absl::OkStatus();
}

}  // namespace fulcrum
