#include "learner/rollout_coordinator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace fulcrum {
namespace {

constexpr int kRetryNoWorkMs = 100;
constexpr int kRetryNoVersionMs = 250;

int64_t NowUnixMs(absl::Time now) { return absl::ToUnixMillis(now); }

}  // namespace

absl::Status RolloutCoordinator::Options::Validate() const {
  FULCRUM_RETURN_IF_ERROR(leases.Validate());
  if (max_staleness < 0) return absl::InvalidArgumentError("max_staleness must be >= 0");
  if (prompts_per_step <= 0 || prompts_per_unit <= 0 || eval_prompts_per_unit <= 0 || group_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("prompts_per_step, prompts_per_unit, eval_prompts_per_unit and group_size must be positive; got ",
                     prompts_per_step, ", ", prompts_per_unit, ", ", eval_prompts_per_unit, ", ", group_size));
  }
  if (sampling.max_new_tokens() <= 0) return absl::InvalidArgumentError("sampling.max_new_tokens must be positive");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RolloutCoordinator>> RolloutCoordinator::Create(const Options& options,
                                                                               std::vector<RlPrompt> train_prompts,
                                                                               std::vector<RlPrompt> eval_prompts) {
  FULCRUM_RETURN_IF_ERROR(options.Validate());
  if (train_prompts.empty()) return absl::InvalidArgumentError("no training prompts");
  FULCRUM_ASSIGN_OR_RETURN(LeaseTable leases, LeaseTable::Create(options.leases));
  return std::unique_ptr<RolloutCoordinator>(
      new RolloutCoordinator(options, std::move(leases), std::move(train_prompts), std::move(eval_prompts)));
}

RolloutCoordinator::RolloutCoordinator(const Options& options, LeaseTable leases, std::vector<RlPrompt> train_prompts,
                                       std::vector<RlPrompt> eval_prompts)
    : options_(options),
      staleness_(options.max_staleness),
      train_prompts_(std::move(train_prompts)),
      eval_prompts_(std::move(eval_prompts)),
      leases_(std::move(leases)),
      cursor_(train_prompts_.size(), options.seed) {}

void RolloutCoordinator::AddUnit(v1::WorkUnit::Kind kind, std::vector<int64_t> prompt_ids, int64_t round) {
  const bool eval = kind == v1::WorkUnit::EVAL;
  const std::string work_id = leases_.Add(prompt_ids, version_, /*urgent=*/eval);
  if (!eval) train_prompts_open_ += static_cast<int64_t>(prompt_ids.size());
  open_units_[work_id] = OpenUnit{kind, std::move(prompt_ids), round};
}

void RolloutCoordinator::TopUp() {
  if (version_ < 0 || finished_) return;
  const int64_t target =
      int64_t{options_.prompts_per_step} * (1 + options_.max_staleness - (trainer_holds_batch_ ? 1 : 0));
  while (static_cast<int64_t>(buffer_.size()) + train_prompts_open_ < target) {
    std::vector<int64_t> ids;
    for (int i = 0; i < options_.prompts_per_unit; ++i) ids.push_back(static_cast<int64_t>(cursor_.Next()));
    AddUnit(v1::WorkUnit::TRAIN, std::move(ids), -1);
  }
}

void RolloutCoordinator::ReplaceAbandoned() {
  for (const std::string& work_id : leases_.TakeAbandoned()) {
    auto it = open_units_.find(work_id);
    if (it == open_units_.end()) continue;
    OpenUnit unit = std::move(it->second);
    open_units_.erase(it);
    if (unit.kind == v1::WorkUnit::EVAL) {
      AddUnit(unit.kind, std::move(unit.prompt_ids), unit.round);  // A round must see every prompt.
    } else {
      train_prompts_open_ -= static_cast<int64_t>(unit.prompt_ids.size());
    }
  }
  TopUp();
}

void RolloutCoordinator::DropStaleGroups() {
  const size_t before = buffer_.size();
  for (auto it = buffer_.begin(); it != buffer_.end();) {
    if (staleness_.Accepts(it->policy_version, version_)) {
      ++it;
    } else {
      stats_.stale_dropped += static_cast<int64_t>(it->samples.size());
      it = buffer_.erase(it);
    }
  }
  if (buffer_.size() != before) TopUp();
}

v1::WorkUnit RolloutCoordinator::MakeWorkUnit(const WorkLease& lease, const OpenUnit& unit) const {
  v1::WorkUnit out;
  out.set_work_id(lease.work_id);
  out.set_kind(unit.kind);
  const bool eval = unit.kind == v1::WorkUnit::EVAL;
  const std::vector<RlPrompt>& prompts = eval ? eval_prompts_ : train_prompts_;
  for (int64_t id : unit.prompt_ids) {
    v1::PromptItem* item = out.add_prompts();
    item->set_prompt(prompts[id].prompt);
    item->set_ground_truth(prompts[id].ground_truth);
  }
  out.set_group_size(eval ? 1 : options_.group_size);
  *out.mutable_sampling() = options_.sampling;
  if (eval) out.mutable_sampling()->set_greedy(true);
  out.set_min_policy_version(lease.min_policy_version);
  out.set_lease_deadline_unix_ms(NowUnixMs(lease.deadline));
  out.set_need_reference_logprobs(!eval && options_.need_reference_logprobs);
  return out;
}

v1::LeaseWorkResponse RolloutCoordinator::LeaseWork(const std::string& actor_id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  v1::LeaseWorkResponse response;
  if (finished_) {
    response.set_stage_finished(true);
    response.set_retry_after_ms(kRetryNoVersionMs);
    return response;
  }
  if (version_ < 0) {
    response.set_retry_after_ms(kRetryNoVersionMs);
    return response;
  }
  std::optional<WorkLease> lease = leases_.Lease(actor_id, now);
  ReplaceAbandoned();
  if (!lease.has_value()) lease = leases_.Lease(actor_id, now);  // A replacement may be ready now.
  if (!lease.has_value()) {
    response.set_retry_after_ms(kRetryNoWorkMs);
    return response;
  }
  *response.mutable_unit() = MakeWorkUnit(*lease, open_units_.at(lease->work_id));
  return response;
}

absl::Status RolloutCoordinator::CheckSamples(const v1::SubmitRolloutsRequest& request, const OpenUnit& unit) const {
  const bool eval = unit.kind == v1::WorkUnit::EVAL;
  const int group_size = eval ? 1 : options_.group_size;
  const int prompts = static_cast<int>(unit.prompt_ids.size());
  auto bad = [&](int i, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("work ", request.work_id(), " sample ", i, ": ", what));
  };
  if (request.samples_size() != prompts * group_size) {
    return absl::InvalidArgumentError(absl::StrCat("work ", request.work_id(), ": expected ", prompts * group_size,
                                                   " samples (", prompts, " prompts x ", group_size, "), got ",
                                                   request.samples_size()));
  }
  std::vector<int> per_prompt(prompts, 0);
  for (int i = 0; i < request.samples_size(); ++i) {
    const v1::Sample& s = request.samples(i);
    if (s.prompt_index() < 0 || s.prompt_index() >= prompts) return bad(i, "prompt_index out of range");
    if (++per_prompt[s.prompt_index()] > group_size) return bad(i, "more samples for its prompt than the group size");
    if (s.policy_version() < 0 || s.policy_version() > version_) {
      return bad(i, absl::StrCat("policy_version ", s.policy_version(), " was never published (newest is ",
                                 version_, ")"));
    }
    if (s.prompt_tokens().empty()) return bad(i, "no prompt tokens");
    const int64_t n = s.completion_tokens_size();
    const auto& behaviour = s.behaviour_logprobs();
    if (behaviour.dtype() != v1::Tensor::F32 || behaviour.shape_size() != 1 || behaviour.shape(0) != n) {
      return bad(i, "behaviour_logprobs must be F32 [len(completion_tokens)]");
    }
    const bool needs_reference = !eval && options_.need_reference_logprobs && !s.reward().missing();
    const auto& reference = s.reference_logprobs();
    if (needs_reference && (reference.dtype() != v1::Tensor::F32 || reference.shape_size() != 1 || reference.shape(0) != n)) {
      return bad(i, "reference_logprobs must be F32 [len(completion_tokens)]");
    }
  }
  return absl::OkStatus();
}

void RolloutCoordinator::AcceptTrain(const v1::SubmitRolloutsRequest& request, const OpenUnit& unit,
                                     v1::SubmitRolloutsResponse* response) {
  std::vector<RolloutGroup> groups(unit.prompt_ids.size());
  for (size_t p = 0; p < groups.size(); ++p) {
    groups[p].prompt_id = unit.prompt_ids[p];
    groups[p].policy_version = version_;
  }
  for (const v1::Sample& sample : request.samples()) {
    RolloutGroup& group = groups[sample.prompt_index()];
    group.policy_version = std::min(group.policy_version, sample.policy_version());
    group.samples.push_back(sample);
  }
  int accepted = 0, stale = 0;
  for (RolloutGroup& group : groups) {
    const int n = static_cast<int>(group.samples.size());
    if (!staleness_.Accepts(group.policy_version, version_)) {
      stale += n;
      continue;
    }
    for (const v1::Sample& s : group.samples) stats_.missing_rewards += s.reward().missing() ? 1 : 0;
    accepted += n;
    ++stats_.groups_accepted;
    buffer_.push_back(std::move(group));
  }
  stats_.samples_accepted += accepted;
  stats_.stale_dropped += stale;
  response->set_accepted(accepted);
  response->set_stale_dropped(stale);
}

absl::StatusOr<v1::SubmitRolloutsResponse> RolloutCoordinator::Submit(const v1::SubmitRolloutsRequest& request) {
  absl::MutexLock lock(&mu_);
  v1::SubmitRolloutsResponse response;
  auto it = open_units_.find(request.work_id());
  // Completed, abandoned or unknown units are answered by the LeaseTable alone below.
  if (it != open_units_.end()) FULCRUM_RETURN_IF_ERROR(CheckSamples(request, it->second));
  if (it == open_units_.end()) {
    if (leases_.Submit(request.work_id(), request.actor_id()) == SubmitOutcome::kDuplicate) response.set_duplicate(true);
    return response;
  }
  switch (leases_.Submit(request.work_id(), request.actor_id())) {
    case SubmitOutcome::kDuplicate:
      response.set_duplicate(true);
      return response;
    case SubmitOutcome::kNotHolder:
    case SubmitOutcome::kUnknown:
      return response;
    case SubmitOutcome::kAccepted:
      break;
  }
  OpenUnit unit = std::move(it->second);
  open_units_.erase(it);
  if (unit.kind == v1::WorkUnit::EVAL) {
    EvalRound& round = rounds_[unit.round];
    for (const v1::Sample& sample : request.samples()) {
      round.samples.push_back(EvalSample{unit.prompt_ids[sample.prompt_index()], sample});
    }
    --round.units_open;
    response.set_accepted(request.samples_size());
    return response;
  }
  train_prompts_open_ -= static_cast<int64_t>(unit.prompt_ids.size());
  AcceptTrain(request, unit, &response);
  TopUp();
  return response;
}

void RolloutCoordinator::SetPolicyVersion(int64_t version) {
  absl::MutexLock lock(&mu_);
  version_ = version;
  trainer_holds_batch_ = false;
  DropStaleGroups();
  TopUp();
}

int64_t RolloutCoordinator::policy_version() const {
  absl::MutexLock lock(&mu_);
  return version_;
}

absl::StatusOr<std::vector<RolloutGroup>> RolloutCoordinator::TakeGroups(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  const size_t needed = static_cast<size_t>(options_.prompts_per_step);
  trainer_holds_batch_ = false;  // A step without an update (no usable rewards) asks again.
  TopUp();
  while (true) {
    DropStaleGroups();
    if (buffer_.size() >= needed) break;
    if (finished_) return absl::CancelledError("the stage finished");
    auto ready = [this, needed]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_ || buffer_.size() >= needed; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&ready), deadline)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "waited too long for rollouts: ", buffer_.size(), " of ", needed, " prompt groups arrived, ",
          open_units_.size(), " work units are out; are the actors running and able to reach this learner?"));
    }
  }
  std::vector<RolloutGroup> groups;
  for (size_t i = 0; i < needed; ++i) {
    groups.push_back(std::move(buffer_.front()));
    buffer_.pop_front();
  }
  trainer_holds_batch_ = true;
  return groups;
}

int64_t RolloutCoordinator::StartEval() {
  absl::MutexLock lock(&mu_);
  const int64_t round = next_round_++;
  EvalRound& state = rounds_[round];
  const int64_t n = static_cast<int64_t>(eval_prompts_.size());
  for (int64_t begin = 0; begin < n; begin += options_.eval_prompts_per_unit) {
    std::vector<int64_t> ids;
    for (int64_t i = begin; i < std::min(n, begin + options_.eval_prompts_per_unit); ++i) ids.push_back(i);
    AddUnit(v1::WorkUnit::EVAL, std::move(ids), round);
    ++state.units_open;
  }
  return round;
}

std::optional<std::vector<EvalSample>> RolloutCoordinator::EvalResult(int64_t round) {
  absl::MutexLock lock(&mu_);
  auto it = rounds_.find(round);
  if (it == rounds_.end() || it->second.units_open > 0) return std::nullopt;
  std::vector<EvalSample> samples = std::move(it->second.samples);
  rounds_.erase(it);
  return samples;
}

absl::StatusOr<std::vector<EvalSample>> RolloutCoordinator::WaitEval(int64_t round, absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    auto done = [this, round]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = rounds_.find(round);
      return finished_ || it == rounds_.end() || it->second.units_open == 0;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&done), deadline)) {
      return absl::DeadlineExceededError(
          "waited too long for held-out evaluation; are the actors running and able to reach this learner?");
    }
    if (finished_) return absl::CancelledError("the stage finished");
  }
  std::optional<std::vector<EvalSample>> result = EvalResult(round);
  if (!result.has_value()) return absl::NotFoundError(absl::StrCat("no evaluation round ", round));
  return *std::move(result);
}

void RolloutCoordinator::Finish() {
  absl::MutexLock lock(&mu_);
  finished_ = true;
}

DataCursor::State RolloutCoordinator::cursor_state() const {
  absl::MutexLock lock(&mu_);
  return cursor_.state();
}

absl::Status RolloutCoordinator::RestoreCursor(const DataCursor::State& state) {
  absl::MutexLock lock(&mu_);
  return cursor_.Restore(state);
}

RolloutCoordinator::Stats RolloutCoordinator::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.leases = leases_.stats();
  return stats;
}

size_t RolloutCoordinator::units_outstanding() const {
  absl::MutexLock lock(&mu_);
  return open_units_.size();
}

size_t RolloutCoordinator::groups_buffered() const {
  absl::MutexLock lock(&mu_);
  return buffer_.size();
}

}  // namespace fulcrum
