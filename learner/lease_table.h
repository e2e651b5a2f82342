// The learner's bookkeeping of work units between LeaseWork and SubmitRollouts (learner.proto):
// which units are ready, who holds which lease until when, and which are completed. The learner's
// service handlers call it under their own lock; the class itself is pure (no threads, no clock).
//
// Guarantee: a unit is completed at most once, so no sample is counted twice. A lease that expired
// is re-issued to the next caller and from then on only the new holder may submit. Submission rule:
// the current holder is accepted even after its deadline as long as the unit has not been re-issued
// yet, because its samples are then the only copy of the work and dropping them would only waste
// a generation; the deadline decides when a unit may be taken away, not whether results count.
#ifndef FULCRUM_LEARNER_LEASE_TABLE_H_
#define FULCRUM_LEARNER_LEASE_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fulcrum {

// One lease handed to an actor; mirrors the WorkUnit fields the table owns.
struct WorkLease {
  std::string work_id;
  std::vector<int64_t> prompt_ids;
  int64_t min_policy_version = 0;
  absl::Time deadline;
};

enum class SubmitOutcome {
  kAccepted,   // From the current holder: the unit is now completed, its samples count.
  kDuplicate,  // The unit was already completed: acknowledge and drop.
  kNotHolder,  // Re-issued to someone else, abandoned, or never leased to this actor: drop.
  kUnknown,    // No such work_id: drop.
};

class LeaseTable {
 public:
  struct Options {
    absl::Duration lease_timeout = absl::Minutes(5);
    // How often one unit may be re-issued after an expired lease; the next expiry abandons it.
    int max_reissues = 3;
    absl::Status Validate() const;
  };
  // Counters since construction. issued counts every lease handed out, re-issues included.
  struct Stats {
    int64_t issued = 0;
    int64_t reissued = 0;
    int64_t duplicates = 0;
    int64_t not_holder = 0;
    int64_t abandoned = 0;
  };

  // INVALID_ARGUMENT when the options do not validate.
  static absl::StatusOr<LeaseTable> Create(const Options& options);

  // Registers a unit ready to lease and returns its work_id ("w0", "w1", ...). An urgent unit is
  // leased before every other never-leased unit.
  std::string Add(std::vector<int64_t> prompt_ids, int64_t min_policy_version, bool urgent = false);

  // Hands `actor_id` the oldest ready unit: first the unit whose lease expired longest ago (a lease
  // expires when now >= deadline), else the oldest never-leased unit. An expired unit already
  // re-issued max_reissues times is abandoned instead. nullopt when nothing is ready.
  std::optional<WorkLease> Lease(const std::string& actor_id, absl::Time now);

  // Records a submission for `work_id` by `actor_id`; see SubmitOutcome and the rule above.
  SubmitOutcome Submit(const std::string& work_id, const std::string& actor_id);

  // The work_ids abandoned since the last call, so the owner can replace their work.
  std::vector<std::string> TakeAbandoned() { return std::exchange(abandoned_ids_, {}); }

  size_t ready() const { return fresh_.size(); }
  // Units with a holder, including expired leases not yet re-issued (their holder may still submit).
  size_t leased() const { return by_deadline_.size(); }
  size_t completed() const { return completed_; }
  const Stats& stats() const { return stats_; }

 private:
  enum class State { kReady, kLeased, kCompleted, kAbandoned };
  struct Unit {
    std::vector<int64_t> prompt_ids;  // Released once the unit is completed or abandoned.
    int64_t min_policy_version = 0;
    State state = State::kReady;
    std::string holder;
    absl::Time deadline;
    int reissues = 0;
  };

  explicit LeaseTable(const Options& options) : options_(options) {}
  WorkLease Grant(const std::string& work_id, Unit& unit, const std::string& actor_id, absl::Time now);

  Options options_;
  int64_t next_id_ = 0;
  std::map<std::string, Unit> units_;
  std::deque<std::string> fresh_;                              // Never leased, oldest first.
  std::set<std::pair<absl::Time, std::string>> by_deadline_;  // Every leased unit.
  size_t completed_ = 0;
  std::vector<std::string> abandoned_ids_;
  Stats stats_;
};

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_LEASE_TABLE_H_
