#include "actor/rollout_actor.h"

#include <algorithm>
#include <thread>
#include <utility>

#include <torch/torch.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "actor/backoff.h"
#include "actor/rollout_generator.h"
#include "core/rpc_metrics.h"
#include "glog/logging.h"

namespace fulcrum {
namespace {

// A learner that answers "no work" without retry_after_ms is not polled faster than this.
constexpr absl::Duration kMinLeasePoll = absl::Milliseconds(10);

double SecondsSince(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

absl::Status CheckAddress(const std::string& address, const char* option, bool required) {
  if (address.empty()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(option, " is required (host:port)")) : absl::OkStatus();
  }
  if (absl::StrContains(address, ' ') || !absl::StrContains(address, ':')) {
    return absl::InvalidArgumentError(absl::StrCat(option, " must be host:port, got '", address, "'"));
  }
  return absl::OkStatus();
}

RetryOptions MakeRetryOptions(const RolloutActor::Options& options) {
  RetryOptions retry;
  retry.rpc_timeout = options.rpc_timeout;
  retry.initial_backoff = options.initial_backoff;
  retry.max_backoff = options.max_backoff;
  return retry;
}

RewardClient::Options MakeRewardOptions(const RolloutActor::Options& options) {
  RewardClient::Options reward;
  reward.address = options.reward_address;
  reward.retry = MakeRetryOptions(options);
  reward.give_up_after = options.reward_timeout;
  return reward;
}

int CountMissing(const RolloutUnit& rollouts) {
  return static_cast<int>(std::count_if(rollouts.samples.begin(), rollouts.samples.end(),
                                        [](const v1::Sample& sample) { return sample.reward().missing(); }));
}

const char* KindName(const v1::WorkUnit& unit) { return unit.kind() == v1::WorkUnit::EVAL ? "eval" : "train"; }

}  // namespace

absl::Status RolloutActor::Options::Validate() const {
  if (absl::Status s = CheckAddress(learner_address, "learner", true); !s.ok()) return s;
  if (absl::Status s = CheckAddress(reward_address, "reward", true); !s.ok()) return s;
  if (absl::Status s = CheckAddress(reference_address, "reference", false); !s.ok()) return s;
  if (actor_id.empty()) return absl::InvalidArgumentError("actor_id must not be empty");
  if (threads < 0) return absl::InvalidArgumentError(absl::StrCat("threads must be >= 0, got ", threads));
  if (max_batch_sequences < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_batch_sequences must be >= 1, got ", max_batch_sequences));
  }
  if (rpc_timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("rpc_timeout must be positive");
  if (reward_timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("reward_timeout must be positive");
  if (initial_backoff <= absl::ZeroDuration() || max_backoff < initial_backoff) {
    return absl::InvalidArgumentError("backoff must satisfy 0 < initial_backoff <= max_backoff");
  }
  if (finished_poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("finished_poll_interval must be positive");
  }
  if (drain_timeout < absl::ZeroDuration()) return absl::InvalidArgumentError("drain_timeout must be >= 0");
  return absl::OkStatus();
}

std::string RolloutActor::Stats::ToString() const {
  return absl::StrFormat(
      "units %d (abandoned %d), samples %d (stale-dropped %d, rewards missing %d), duplicates %d, "
      "tokens %d, policy v%d (%d fetches, %.1f MB), seconds: generate %.1f, score %.1f, reference %.1f, "
      "submit %.1f, fetch weights %.1f, wait for work %.1f, handoff wait %.1f",
      units_done, units_abandoned, samples, samples_stale_dropped, rewards_missing, duplicate_submissions,
      tokens_generated, policy_version, weight_fetches, bytes_fetched / 1e6, generate_s, score_s, reference_s,
      submit_s, fetch_weights_s, wait_for_work_s, handoff_wait_s);
}

absl::StatusOr<std::unique_ptr<RolloutActor>> RolloutActor::Create(const Options& options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  Stubs stubs;
  stubs.learner = v1::Learner::NewStub(InstrumentedChannel("actor", options.learner_address));
  stubs.reward = v1::Reward::NewStub(InstrumentedChannel("actor", options.reward_address));
  if (!options.reference_address.empty()) {
    stubs.reference = v1::Reference::NewStub(InstrumentedChannel("actor", options.reference_address));
  }
  return Create(options, std::move(stubs));
}

absl::StatusOr<std::unique_ptr<RolloutActor>> RolloutActor::Create(const Options& options, Stubs stubs) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  if (stubs.learner == nullptr || stubs.reward == nullptr) {
    return absl::InvalidArgumentError("the learner and reward stubs are required");
  }
  if (options.threads > 0) torch::set_num_threads(options.threads);
  return std::unique_ptr<RolloutActor>(new RolloutActor(options, std::move(stubs)));
}

RolloutActor::RolloutActor(const Options& options, Stubs stubs)
    : options_(options),
      learner_(std::move(stubs.learner), options.learner_address, MakeRetryOptions(options), &cancellation_),
      reward_(std::move(stubs.reward), MakeRewardOptions(options), &cancellation_),
      policy_(&learner_) {
  if (stubs.reference != nullptr) {
    ReferenceClient::Options reference;
    reference.address = options.reference_address.empty() ? "(in-process)" : options.reference_address;
    reference.retry = MakeRetryOptions(options);
    reference.give_up_after = options.reward_timeout;
    reference_ = std::make_unique<ReferenceClient>(std::move(stubs.reference), reference, &cancellation_);
  }
}

RolloutActor::~RolloutActor() {
  Stop();
  bool started;
  {
    absl::MutexLock lock(&run_mu_);
    started = started_;
  }
  if (started) run_done_.WaitForNotification();
}

void RolloutActor::Stop() {
  cancellation_.Cancel();
  handoff_.Close();
}

RolloutActor::Stats RolloutActor::stats() const {
  absl::MutexLock lock(&stats_mu_);
  return stats_;
}

absl::Status RolloutActor::Run() {
  {
    absl::MutexLock lock(&run_mu_);
    if (started_) return absl::FailedPreconditionError("RolloutActor::Run may be called once");
    started_ = true;
  }
  absl::Notification submitted_all;
  std::thread submitter([&] {
    SubmitUnits();
    submitted_all.Notify();
  });
  absl::Status status = GenerateUnits();
  if (!status.ok()) cancellation_.Cancel();  // Nothing more will be accepted: drop the unit in flight.
  handoff_.Close();
  if (!submitted_all.WaitForNotificationWithTimeout(options_.drain_timeout)) {
    LOG(WARNING) << "the last work unit is not submitted after " << absl::FormatDuration(options_.drain_timeout)
                 << ": abandoning it";
    cancellation_.Cancel();
  }
  submitter.join();
  run_done_.Notify();
  return status;
}

absl::Status RolloutActor::GenerateUnits() {
  bool finished_logged = false;
  while (!cancellation_.cancelled()) {
    const absl::Time wait_start = absl::Now();
    absl::StatusOr<v1::LeaseWorkResponse> lease = learner_.LeaseWork(options_.actor_id, policy_.version());
    if (!lease.ok()) {
      UpdateStats([&](Stats& s) { s.wait_for_work_s += SecondsSince(wait_start); });
      return cancellation_.cancelled() ? absl::OkStatus() : lease.status();
    }
    if (lease->stage_finished()) {
      if (options_.exit_when_finished) {
        LOG(INFO) << "the learner at " << options_.learner_address << " finished the stage: exiting";
        return absl::OkStatus();
      }
      if (!finished_logged) {
        LOG(INFO) << "the learner at " << options_.learner_address << " finished the stage; asking again every "
                  << absl::FormatDuration(options_.finished_poll_interval);
        finished_logged = true;
      }
      cancellation_.SleepFor(options_.finished_poll_interval);
      UpdateStats([&](Stats& s) { s.wait_for_work_s += SecondsSince(wait_start); });
      continue;
    }
    finished_logged = false;
    if (!lease->has_unit()) {
      cancellation_.SleepFor(std::max(absl::Milliseconds(lease->retry_after_ms()), kMinLeasePoll));
      UpdateStats([&](Stats& s) { s.wait_for_work_s += SecondsSince(wait_start); });
      continue;
    }
    UpdateStats([&](Stats& s) { s.wait_for_work_s += SecondsSince(wait_start); });
    const v1::WorkUnit& unit = lease->unit();

    if (absl::Status ready = AwaitPolicy(unit); !ready.ok()) {
      if (cancellation_.cancelled()) return absl::OkStatus();
      LOG(WARNING) << "abandoning work unit '" << unit.work_id() << "': " << ready.message();
      UpdateStats([](Stats& s) { ++s.units_abandoned; });
      continue;
    }

    const absl::Time generate_start = absl::Now();
    absl::StatusOr<RolloutUnit> rollouts =
        GenerateRollouts(*policy_.policy(), unit, {options_.seed, options_.max_batch_sequences});
    const double generate_s = SecondsSince(generate_start);
    int64_t tokens = 0;
    if (rollouts.ok()) {
      for (const v1::Sample& sample : rollouts->samples) tokens += sample.completion_tokens_size();
      metrics_.generation_seconds.Observe(generate_s);
      metrics_.tokens_generated.Increment(static_cast<double>(tokens));
      metrics_.samples_generated.Increment(static_cast<double>(rollouts->samples.size()));
    }
    UpdateStats([&](Stats& s) {
      s.generate_s += generate_s;
      s.tokens_generated += tokens;
      if (!rollouts.ok()) ++s.units_abandoned;
    });
    if (!rollouts.ok()) {
      LOG(ERROR) << "abandoning work unit '" << unit.work_id() << "': " << rollouts.status().message();
      continue;
    }

    const absl::Time handoff_start = absl::Now();
    if (!handoff_.Push(*std::move(rollouts))) return absl::OkStatus();  // Stopped.
    metrics_.handoff_queue_depth.Set(static_cast<double>(handoff_.size()));
    UpdateStats([&](Stats& s) { s.handoff_wait_s += SecondsSince(handoff_start); });
  }
  return absl::OkStatus();
}

absl::Status RolloutActor::AwaitPolicy(const v1::WorkUnit& unit) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  const bool has_deadline = unit.lease_deadline_unix_ms() > 0;
  const absl::Time lease_deadline = absl::FromUnixMillis(unit.lease_deadline_unix_ms());
  while (policy_.policy() == nullptr || policy_.version() < unit.min_policy_version()) {
    if (has_deadline && absl::Now() >= lease_deadline) {
      return absl::DeadlineExceededError(absl::StrCat("its lease expired while waiting for policy version ",
                                                      unit.min_policy_version(), " (holding ", policy_.version(), ")"));
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<PolicySync::Update> update = policy_.Refresh();
    const double seconds = SecondsSince(start);
    if (cancellation_.cancelled()) return absl::CancelledError("shutting down");
    UpdateStats([&](Stats& s) {
      s.fetch_weights_s += seconds;
      if (update.ok() && update->updated) {
        ++s.weight_fetches;
        s.bytes_fetched += update->bytes;
        s.policy_version = policy_.version();
      }
    });
    if (update.ok() && update->updated) {
      metrics_.policy_version.Set(static_cast<double>(policy_.version()));
      metrics_.weight_sync_bytes.Increment(static_cast<double>(update->bytes));
      metrics_.weight_sync_seconds.Observe(seconds);
      LOG(INFO) << "policy version " << policy_.version() << ": " << update->bytes << " bytes in "
                << absl::StrFormat("%.2f", seconds) << " s";
      backoff.Reset();
      continue;
    }
    // Otherwise: nothing published yet (NOT_FOUND), the unit's version is not out yet, or the fetch
    // failed. Outages are logged by the client; anything else is worth a line of its own.
    if (!update.ok() && !absl::IsNotFound(update.status()) && !IsTransient(update.status())) {
      LOG(WARNING) << update.status().message() << "; keeping policy version " << policy_.version();
    }
    if (!cancellation_.SleepFor(backoff.Next())) return absl::CancelledError("shutting down");
  }
  return absl::OkStatus();
}

void RolloutActor::SubmitUnits() {
  while (std::optional<RolloutUnit> rollouts = handoff_.Pop()) {
    metrics_.handoff_queue_depth.Set(static_cast<double>(handoff_.size()));
    absl::Status status = FinishUnit(*rollouts);
    if (status.ok()) continue;
    UpdateStats([](Stats& s) { ++s.units_abandoned; });
    if (cancellation_.cancelled()) {
      LOG(INFO) << "abandoning work unit '" << rollouts->unit.work_id() << "': shutting down";
    } else {
      LOG(WARNING) << "abandoning work unit '" << rollouts->unit.work_id() << "': " << status.message();
    }
  }
}

absl::Status RolloutActor::FinishUnit(RolloutUnit& rollouts) {
  const v1::WorkUnit& unit = rollouts.unit;
  const absl::Time score_start = absl::Now();
  absl::StatusOr<std::vector<v1::ScoreResult>> results = reward_.Score(ScoreItemsFor(rollouts));
  UpdateStats([&](Stats& s) { s.score_s += SecondsSince(score_start); });
  if (!results.ok()) return results.status();
  if (const int missing = SetRewards(*results, rollouts); missing > 0) {
    const auto first = std::find_if(results->begin(), results->end(),
                                    [](const v1::ScoreResult& r) { return r.missing(); });
    LOG(WARNING) << "work unit '" << unit.work_id() << "': " << missing << " of " << results->size()
                 << " rewards missing, e.g.: " << first->reason();
  }

  if (unit.need_reference_logprobs()) {
    const absl::Time reference_start = absl::Now();
    absl::Status status = AddReferenceLogProbs(rollouts);
    UpdateStats([&](Stats& s) { s.reference_s += SecondsSince(reference_start); });
    if (!status.ok()) return status;
  }

  const int samples = static_cast<int>(rollouts.samples.size());
  const int missing = CountMissing(rollouts);
  v1::SubmitRolloutsRequest request;
  request.set_work_id(unit.work_id());
  request.set_actor_id(options_.actor_id);
  for (v1::Sample& sample : rollouts.samples) *request.add_samples() = std::move(sample);
  const absl::Time submit_start = absl::Now();
  absl::StatusOr<v1::SubmitRolloutsResponse> response = learner_.SubmitRollouts(std::move(request));
  UpdateStats([&](Stats& s) { s.submit_s += SecondsSince(submit_start); });
  if (!response.ok()) return response.status();
  metrics_.missing_rewards.Increment(missing);
  UpdateStats([&](Stats& s) {
    ++s.units_done;
    s.samples += samples;
    s.samples_stale_dropped += response->stale_dropped();
    s.rewards_missing += missing;
    if (response->duplicate()) ++s.duplicate_submissions;
  });
  VLOG(1) << "work unit '" << unit.work_id() << "' (" << KindName(unit) << "): " << samples << " samples, "
          << response->accepted() << " accepted, " << response->stale_dropped() << " stale"
          << (response->duplicate() ? ", duplicate" : "");
  return absl::OkStatus();
}

absl::Status RolloutActor::AddReferenceLogProbs(RolloutUnit& rollouts) {
  const std::string& work_id = rollouts.unit.work_id();
  if (reference_ == nullptr) {
    const std::string reason = "reference log-probs requested but the actor has no --reference address";
    std::call_once(reference_missing_logged_, [&] {
      LOG(ERROR) << "work unit '" << work_id << "': " << reason
                 << "; its rewards (and those of every such unit) are submitted missing";
    });
    MarkRewardsMissing(rollouts, reason);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<torch::Tensor>> logprobs = reference_->LogProbs(ReferenceSequences(rollouts));
  if (logprobs.ok()) {
    SetReferenceLogProbs(*logprobs, rollouts);
    return absl::OkStatus();
  }
  if (cancellation_.cancelled()) return logprobs.status();
  LOG(WARNING) << "work unit '" << work_id << "': " << logprobs.status().message()
               << ": its rewards are submitted missing";
  MarkRewardsMissing(rollouts, std::string(logprobs.status().message()));
  return absl::OkStatus();
}

}  // namespace fulcrum
