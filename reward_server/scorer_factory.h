// Chooses and builds the one Scorer a fulcrum-reward process serves, from ScorerOptions. Called by
// RewardServer::Create; the flag parsing in reward_main.cc only fills ScorerOptions.
#ifndef FULCRUM_REWARD_SERVER_SCORER_FACTORY_H_
#define FULCRUM_REWARD_SERVER_SCORER_FACTORY_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fulcrum/v1/config.pb.h"
#include "reward_server/scorer.h"

namespace fulcrum {

struct ScorerOptions {
  // "verifier" | "exact_match" | "regex" | "format" | "reward_model" | "composite".
  std::string scorer = "verifier";
  // The task whose verifier "verifier" and "format" use (see tasks/registry.h for defaults).
  fulcrum::v1::TaskConfig task;
  // RE2 pattern for "regex"; "{ground_truth}" is replaced by the item's quoted ground truth.
  std::string regex;
  // Reward-model checkpoint for "reward_model": a checkpoint directory or a root with LATEST.
  std::string checkpoint;
  // "reward_model": reward = (score - mean) / std with the checkpoint's held-out score statistics.
  bool normalize = false;
  // (part scorer name, weight) for "composite"; parts are any scorer except "composite".
  std::vector<std::pair<std::string, double>> composite;

  // INVALID_ARGUMENT naming the option, e.g. "scorer: regex requires option regex". The task
  // itself is checked by MakeTask when the scorer is built.
  absl::Status Validate() const;
};

// Parses "verifier:1.0,format:0.1" into (name, weight) pairs; INVALID_ARGUMENT naming the bad entry.
absl::StatusOr<std::vector<std::pair<std::string, double>>> ParseCompositeWeights(
    const std::string& spec);

absl::StatusOr<std::unique_ptr<Scorer>> MakeScorer(const ScorerOptions& options);

// What MakeScorer would refuse, found without building the scorer: the options, the task, the
// regex pattern and repeated composite parts. A reward model's checkpoint is not read, so it need not exist yet (it may still
// be training when fulcrum-reward --check runs).
absl::Status CheckScorerOptions(const ScorerOptions& options);

}  // namespace fulcrum

#endif  // FULCRUM_REWARD_SERVER_SCORER_FACTORY_H_
