// Everything the learner's gRPC handlers and its training loop share about rollouts: which prompts
// are out as work units (a LeaseTable), the groups of samples that came back and wait for an
// update, the policy version, the staleness bound, and held-out evaluation rounds run by actors.
// LearnerService calls LeaseWork / Submit from gRPC threads; RlTrainer calls the rest. Thread-safe.
//
// Flow control: after the trainer sets version v, train units are added until the groups buffered
// or in flight (plus the batch the trainer holds) cover the next 1 + max_staleness updates. With max_staleness 0 nothing is generated
// while the learner updates (strictly on-policy); with k >= 1 actors generate the next k batches
// meanwhile. A unit asks for the newest version at the time it was added, and a group whose
// samples lag the learner by more than max_staleness versions is dropped (counted) and replaced.
#ifndef FULCRUM_LEARNER_ROLLOUT_COORDINATOR_H_
#define FULCRUM_LEARNER_ROLLOUT_COORDINATOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/data_cursor.h"
#include "core/examples.h"
#include "fulcrum/v1/learner.pb.h"
#include "learner/lease_table.h"
#include "learner/staleness_policy.h"

namespace fulcrum {

// The G samples of one training prompt, in the order the actor submitted them.
struct RolloutGroup {
  int64_t prompt_id = 0;  // Index into the training prompts.
  std::vector<v1::Sample> samples;
  int64_t policy_version = 0;  // The oldest version among the samples.
};

// One greedy completion per held-out prompt, as an actor produced it.
struct EvalSample {
  int64_t prompt_id = 0;  // Index into the held-out prompts.
  v1::Sample sample;
};

class RolloutCoordinator {
 public:
  struct Options {
    LeaseTable::Options leases;
    int64_t max_staleness = 0;
    int prompts_per_step = 8;      // Groups one update takes.
    int prompts_per_unit = 8;      // Prompts in one train unit.
    int eval_prompts_per_unit = 64;
    int group_size = 8;            // G
    v1::SamplingConfig sampling;   // For train units; eval units decode greedily.
    bool need_reference_logprobs = false;
    uint64_t seed = 0;             // Order of the training prompts.
    absl::Status Validate() const;
  };

  // Counters since construction, for logs, metrics and summary.json.
  struct Stats {
    int64_t groups_accepted = 0;
    int64_t samples_accepted = 0;
    int64_t stale_dropped = 0;     // Samples dropped for lagging more than max_staleness.
    int64_t missing_rewards = 0;   // Accepted samples whose reward is missing.
    LeaseTable::Stats leases;      // Issued, re-issued, abandoned; duplicate and not-holder submissions.
  };

  // INVALID_ARGUMENT when the options do not validate or train_prompts is empty.
  static absl::StatusOr<std::unique_ptr<RolloutCoordinator>> Create(const Options& options,
                                                                    std::vector<RlPrompt> train_prompts,
                                                                    std::vector<RlPrompt> eval_prompts);

  // ---- LearnerService ----
  // A unit for `actor_id`, or none with retry_after_ms (no work yet, or no version published), or
  // stage_finished after Finish.
  v1::LeaseWorkResponse LeaseWork(const std::string& actor_id, absl::Time now);
  // Accepts a unit's samples once (see LeaseTable). INVALID_ARGUMENT when the samples do not match
  // the unit (count per prompt, prompt indices, log-prob shapes, a version never published); the
  // unit then stays leased and is re-issued when its lease expires.
  absl::StatusOr<v1::SubmitRolloutsResponse> Submit(const v1::SubmitRolloutsRequest& request);

  // ---- RlTrainer ----
  // Makes `version` the newest published policy and tops up the train units for it.
  void SetPolicyVersion(int64_t version);
  int64_t policy_version() const;
  // Waits until prompts_per_step groups are buffered and returns them (oldest first). Groups lagging
  // the current version by more than max_staleness are dropped on the way. DEADLINE_EXCEEDED when
  // `deadline` passes first; CANCELLED after Finish.
  absl::StatusOr<std::vector<RolloutGroup>> TakeGroups(absl::Time deadline);

  // Queues one greedy pass over the held-out prompts, ahead of train units; returns its round id.
  int64_t StartEval();
  // The round's samples once every unit of it came back, or nullopt while it is still running.
  std::optional<std::vector<EvalSample>> EvalResult(int64_t round);
  // Waits for the round; DEADLINE_EXCEEDED or CANCELLED as TakeGroups.
  absl::StatusOr<std::vector<EvalSample>> WaitEval(int64_t round, absl::Time deadline);

  // Ends the stage: LeaseWork answers stage_finished and waiters return CANCELLED.
  void Finish();

  // The training prompt order, for checkpoints (resume continues with the next prompt).
  DataCursor::State cursor_state() const;
  absl::Status RestoreCursor(const DataCursor::State& state);

  Stats stats() const;
  // Units leased or ready, and groups buffered: the queue depths.
  size_t units_outstanding() const;
  size_t groups_buffered() const;

 private:
  struct OpenUnit {
    v1::WorkUnit::Kind kind = v1::WorkUnit::TRAIN;
    std::vector<int64_t> prompt_ids;
    int64_t round = -1;  // Eval units: their round.
  };
  struct EvalRound {
    int64_t units_open = 0;
    std::vector<EvalSample> samples;
  };

  RolloutCoordinator(const Options& options, LeaseTable leases, std::vector<RlPrompt> train_prompts,
                     std::vector<RlPrompt> eval_prompts);

  void AddUnit(v1::WorkUnit::Kind kind, std::vector<int64_t> prompt_ids, int64_t round)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TopUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReplaceAbandoned() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropStaleGroups() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::WorkUnit MakeWorkUnit(const WorkLease& lease, const OpenUnit& unit) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckSamples(const v1::SubmitRolloutsRequest& request, const OpenUnit& unit) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AcceptTrain(const v1::SubmitRolloutsRequest& request, const OpenUnit& unit,
                   v1::SubmitRolloutsResponse* response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const StalenessPolicy staleness_;
  const std::vector<RlPrompt> train_prompts_;
  const std::vector<RlPrompt> eval_prompts_;

  mutable absl::Mutex mu_;
  LeaseTable leases_ ABSL_GUARDED_BY(mu_);
  DataCursor cursor_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, OpenUnit> open_units_ ABSL_GUARDED_BY(mu_);  // Leased or ready.
  int64_t train_prompts_open_ ABSL_GUARDED_BY(mu_) = 0;            // Prompts in open train units.
  std::deque<RolloutGroup> buffer_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, EvalRound> rounds_ ABSL_GUARDED_BY(mu_);
  int64_t next_round_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t version_ ABSL_GUARDED_BY(mu_) = -1;  // -1 until the first version is published.
  // Between TakeGroups and the next SetPolicyVersion the trainer holds one step's groups.
  bool trainer_holds_batch_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_ROLLOUT_COORDINATOR_H_
