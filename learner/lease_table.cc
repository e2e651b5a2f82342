#include "learner/lease_table.h"

#include "absl/strings/str_cat.h"

namespace fulcrum {

absl::Status LeaseTable::Options::Validate() const {
  if (lease_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease_timeout must be positive, got ", absl::FormatDuration(lease_timeout)));
  }
  if (max_reissues < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_reissues must be >= 0, got ", max_reissues));
  }
  return absl::OkStatus();
}

absl::StatusOr<LeaseTable> LeaseTable::Create(const Options& options) {
  if (absl::Status s = options.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("LeaseTable options: ", s.message()));
  }
  return LeaseTable(options);
}

std::string LeaseTable::Add(std::vector<int64_t> prompt_ids, int64_t min_policy_version, bool urgent) {
  std::string work_id = absl::StrCat("w", next_id_++);
  Unit& unit = units_[work_id];
  unit.prompt_ids = std::move(prompt_ids);
  unit.min_policy_version = min_policy_version;
  if (urgent) {
    fresh_.push_front(work_id);
  } else {
    fresh_.push_back(work_id);
  }
  return work_id;
}

std::optional<WorkLease> LeaseTable::Lease(const std::string& actor_id, absl::Time now) {
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const std::string work_id = by_deadline_.begin()->second;
    by_deadline_.erase(by_deadline_.begin());
    Unit& unit = units_.at(work_id);
    if (unit.reissues >= options_.max_reissues) {
      unit.state = State::kAbandoned;
      unit.holder.clear();
      unit.prompt_ids.clear();
      ++stats_.abandoned;
      abandoned_ids_.push_back(work_id);
      continue;
    }
    ++unit.reissues;
    ++stats_.reissued;
    return Grant(work_id, unit, actor_id, now);
  }
  if (fresh_.empty()) return std::nullopt;
  const std::string work_id = fresh_.front();
  fresh_.pop_front();
  return Grant(work_id, units_.at(work_id), actor_id, now);
}

WorkLease LeaseTable::Grant(const std::string& work_id, Unit& unit, const std::string& actor_id,
                            absl::Time now) {
  unit.state = State::kLeased;
  unit.holder = actor_id;
  unit.deadline = now + options_.lease_timeout;
  by_deadline_.emplace(unit.deadline, work_id);
  ++stats_.issued;
  return WorkLease{work_id, unit.prompt_ids, unit.min_policy_version, unit.deadline};
}

SubmitOutcome LeaseTable::Submit(const std::string& work_id, const std::string& actor_id) {
  auto it = units_.find(work_id);
  if (it == units_.end()) return SubmitOutcome::kUnknown;
  Unit& unit = it->second;
  if (unit.state == State::kCompleted) {
    ++stats_.duplicates;
    return SubmitOutcome::kDuplicate;
  }
  if (unit.state != State::kLeased || unit.holder != actor_id) {
    ++stats_.not_holder;
    return SubmitOutcome::kNotHolder;
  }
  by_deadline_.erase({unit.deadline, work_id});
  unit.state = State::kCompleted;
  unit.holder.clear();
  unit.prompt_ids.clear();
  ++completed_;
  return SubmitOutcome::kAccepted;
}

}  // namespace fulcrum
