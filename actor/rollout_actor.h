// The rollout actor (fulcrum-actor): leases work units from the learner, keeps its policy at the
// version a unit asks for, generates completions, has them scored by a Reward server (and, when a
// unit asks, log-probed by a Reference server) and submits the samples.
//
// Two threads, both owned by Run(): the calling thread leases, fetches weights and generates; a
// submit thread scores, fetches reference log-probs and submits. A queue of capacity 1 joins them,
// so scoring one unit overlaps generating the next and generation never runs further ahead.
// Services that are down are waited for with backoff (see LearnerClient, RewardClient); a reward
// that cannot be had is submitted missing, never as 0. Stop() (any thread, e.g. on SIGTERM) stops
// leasing, cancels the RPCs in flight and abandons the unit in progress (its lease expires and the
// learner re-issues it); Run() then joins the submit thread and returns. What it does is counted in
// stats() and in the fulcrum_actor_* metrics (actor_metrics.h).
#ifndef FULCRUM_ACTOR_ROLLOUT_ACTOR_H_
#define FULCRUM_ACTOR_ROLLOUT_ACTOR_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "actor/actor_metrics.h"
#include "actor/bounded_queue.h"
#include "actor/cancellation.h"
#include "actor/learner_client.h"
#include "actor/policy_sync.h"
#include "actor/reference_client.h"
#include "actor/reward_client.h"
#include "actor/rollout_unit.h"
#include "fulcrum/v1/learner.grpc.pb.h"
#include "fulcrum/v1/reference.grpc.pb.h"
#include "fulcrum/v1/reward.grpc.pb.h"

namespace fulcrum {

class RolloutActor {
 public:
  struct Options {
    std::string learner_address;    // host:port of the Learner service.
    std::string reward_address;     // host:port of a Reward service.
    std::string reference_address;  // host:port of a Reference service; empty when no unit needs one.
    std::string actor_id;           // Unique among the learner's actors.
    int threads = 0;                // LibTorch intra-op threads (process-wide); 0 keeps the default.
    uint64_t seed = 0;              // With the work_id, fixes the sampled tokens (GenerationSeed).
    int max_batch_sequences = 512;  // Sequences per Generate call.
    absl::Duration rpc_timeout = absl::Seconds(30);     // Deadline of every RPC attempt.
    absl::Duration reward_timeout = absl::Seconds(60);  // Then rewards (or reference) count as missing.
    bool exit_when_finished = false;  // Return from Run when the learner says the stage is over.
    // Retry and poll timing; tests shorten them.
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    absl::Duration finished_poll_interval = absl::Seconds(5);  // LeaseWork polls after stage_finished.
    // When Run ends at the end of the stage: how long the unit being scored or submitted may still
    // take before it is abandoned (the learner may already be gone).
    absl::Duration drain_timeout = absl::Seconds(5);

    // INVALID_ARGUMENT naming the option.
    absl::Status Validate() const;
  };

  // Counters and time spent, since Create. A snapshot: stats() may be read while Run runs.
  struct Stats {
    int64_t units_done = 0;       // Submitted and acknowledged.
    int64_t units_abandoned = 0;  // Leased but not submitted (see the log for why).
    int64_t samples = 0;          // Submitted.
    int64_t samples_stale_dropped = 0;   // Of those, dropped by the learner as too stale.
    int64_t duplicate_submissions = 0;   // Units the learner already had.
    int64_t tokens_generated = 0;
    int64_t rewards_missing = 0;  // Samples submitted with a missing reward.
    int64_t weight_fetches = 0;   // Policy versions fetched and applied.
    int64_t bytes_fetched = 0;    // Their payload bytes.
    int64_t policy_version = -1;  // Held now; -1 for none.
    double generate_s = 0;
    double score_s = 0;
    double reference_s = 0;
    double submit_s = 0;
    double fetch_weights_s = 0;
    double wait_for_work_s = 0;   // LeaseWork calls without a unit, and the waits between them.
    double handoff_wait_s = 0;    // Generation blocked on a full queue: the submit side is slower.

    // One line, for the log at exit.
    std::string ToString() const;
  };

  // Connects (insecure channels, created once, whose calls are timed as fulcrum_actor_rpc_seconds)
  // to the addresses in `options`.
  static absl::StatusOr<std::unique_ptr<RolloutActor>> Create(const Options& options);

  // Stubs of the services, e.g. over in-process channels, or fakes; the addresses in `options`
  // then only name them in logs. `reference` may be null.
  struct Stubs {
    std::unique_ptr<v1::Learner::StubInterface> learner;
    std::unique_ptr<v1::Reward::StubInterface> reward;
    std::unique_ptr<v1::Reference::StubInterface> reference;
  };
  static absl::StatusOr<std::unique_ptr<RolloutActor>> Create(const Options& options, Stubs stubs);

  // Stops (if running) and waits for Run to return.
  ~RolloutActor();
  RolloutActor(const RolloutActor&) = delete;
  RolloutActor& operator=(const RolloutActor&) = delete;

  // Works until Stop(), or until the stage is finished with exit_when_finished (the unit in flight
  // then gets drain_timeout to be submitted); then OK. An error when the learner refuses the actor
  // for good (e.g. a protocol mismatch). Call once.
  absl::Status Run();

  // Any thread, any time (also before Run, which then returns at once). Idempotent.
  void Stop();

  Stats stats() const;

 private:
  RolloutActor(const Options& options, Stubs stubs);

  // The generation thread's loop; returns when stopped, finished or refused.
  absl::Status GenerateUnits();
  // Fetches weights until the held version reaches the unit's min_policy_version.
  absl::Status AwaitPolicy(const v1::WorkUnit& unit);
  // The submit thread's loop.
  void SubmitUnits();
  // Scores, adds reference log-probs and submits one unit.
  absl::Status FinishUnit(RolloutUnit& rollouts);
  // Adds the reference log-probs the unit asked for, or marks its rewards missing when they cannot
  // be had. CANCELLED only when stopping.
  absl::Status AddReferenceLogProbs(RolloutUnit& rollouts);

  template <typename Update>
  void UpdateStats(Update update) {
    absl::MutexLock lock(&stats_mu_);
    update(stats_);
  }

  const Options options_;
  ActorMetrics metrics_;
  Cancellation cancellation_;
  LearnerClient learner_;
  RewardClient reward_;
  std::unique_ptr<ReferenceClient> reference_;  // Null without a reference address.
  PolicySync policy_;                           // Generation thread only.
  BoundedQueue<RolloutUnit> handoff_{1};

  mutable absl::Mutex stats_mu_;
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);

  absl::Mutex run_mu_;
  bool started_ ABSL_GUARDED_BY(run_mu_) = false;
  absl::Notification run_done_;
  std::once_flag reference_missing_logged_;
};

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_ROLLOUT_ACTOR_H_
