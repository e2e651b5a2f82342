#include "reward_server/regex_scorer.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "reward_server/score_results.h"

namespace fulcrum {
namespace {

std::unique_ptr<RE2> Compile(const std::string& pattern) {
  RE2::Options options;
  // Errors are reported through the Status or the item's reason, not on stderr.
  options.set_log_errors(false);
  return std::make_unique<RE2>(pattern, options);
}

std::string Substitute(const std::string& pattern, const std::string& ground_truth) {
  return absl::StrReplaceAll(pattern, {{RegexScorer::kGroundTruthPlaceholder,
                                        RE2::QuoteMeta(ground_truth)}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegexScorer>> RegexScorer::Create(std::string pattern) {
  if (pattern.empty()) return absl::InvalidArgumentError("regex pattern is empty");
  const bool has_placeholder = absl::StrContains(pattern, kGroundTruthPlaceholder);
  // A placeholder-free stand-in checks the syntax once, so a typo fails at start-up rather than
  // turning every item missing.
  std::unique_ptr<RE2> compiled = Compile(has_placeholder ? Substitute(pattern, "x") : pattern);
  if (!compiled->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("regex pattern '", pattern, "' is invalid: ", compiled->error()));
  }
  if (has_placeholder) compiled.reset();
  return std::unique_ptr<RegexScorer>(new RegexScorer(std::move(pattern), std::move(compiled)));
}

RegexScorer::RegexScorer(std::string pattern, std::unique_ptr<RE2> fixed)
    : pattern_(std::move(pattern)), fixed_(std::move(fixed)) {}

fulcrum::v1::ScoreResult RegexScorer::ScoreOne(const fulcrum::v1::ScoreItem& item) const {
  bool match = false;
  if (fixed_ != nullptr) {
    match = RE2::FullMatch(item.completion(), *fixed_);
  } else {
    if (item.ground_truth().empty()) return MissingResult("item has no ground_truth");
    const std::unique_ptr<RE2> re = Compile(Substitute(pattern_, item.ground_truth()));
    if (!re->ok()) return MissingResult(absl::StrCat("regex for this item is invalid: ", re->error()));
    match = RE2::FullMatch(item.completion(), *re);
  }
  fulcrum::v1::ScoreResult result;
  result.set_reward(match ? 1.0 : 0.0);
  (*result.mutable_components())["regex_match"] = match ? 1.0 : 0.0;
  if (!match) result.set_reason("completion does not match the pattern");
  return result;
}

}  // namespace fulcrum
