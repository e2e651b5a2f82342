#include "learner/lease_table.h"

#include <gtest/gtest.h>

#include <map>

namespace fulcrum {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'000'000);

LeaseTable MakeTable(absl::Duration timeout = absl::Seconds(10), int max_reissues = 3) {
  absl::StatusOr<LeaseTable> table = LeaseTable::Create({timeout, max_reissues});
  EXPECT_TRUE(table.ok()) << table.status();
  return *std::move(table);
}

TEST(LeaseTableTest, ValidateRejectsNonPositiveTimeoutAndNegativeReissues) {
  EXPECT_TRUE((LeaseTable::Options{absl::Seconds(1), 0}).Validate().ok());
  EXPECT_EQ((LeaseTable::Options{absl::ZeroDuration(), 1}).Validate().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE((LeaseTable::Options{absl::Seconds(-1), 1}).Validate().ok());
  EXPECT_FALSE((LeaseTable::Options{absl::Seconds(1), -1}).Validate().ok());
  EXPECT_FALSE(LeaseTable::Create({absl::ZeroDuration(), 1}).ok());
}

TEST(LeaseTableTest, LeasesInAddOrderWithDeadlineAndPayload) {
  LeaseTable t = MakeTable();
  const std::string a = t.Add({1, 2}, 5);
  const std::string b = t.Add({3}, 6);
  EXPECT_NE(a, b);
  EXPECT_EQ(t.ready(), 2u);

  std::optional<WorkLease> first = t.Lease("actor-1", kT0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->work_id, a);
  EXPECT_EQ(first->prompt_ids, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(first->min_policy_version, 5);
  EXPECT_EQ(first->deadline, kT0 + absl::Seconds(10));

  std::optional<WorkLease> second = t.Lease("actor-2", kT0 + absl::Seconds(1));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->work_id, b);
  EXPECT_FALSE(t.Lease("actor-3", kT0 + absl::Seconds(2)).has_value());
  EXPECT_EQ(t.ready(), 0u);
  EXPECT_EQ(t.leased(), 2u);
  EXPECT_EQ(t.stats().issued, 2);
}

TEST(LeaseTableTest, ExpiredLeaseIsReissuedBeforeFreshWork) {
  LeaseTable t = MakeTable();
  const std::string a = t.Add({1}, 0);
  ASSERT_EQ(t.Lease("old", kT0)->work_id, a);
  const std::string b = t.Add({2}, 0);
  // Not expired yet one tick before the deadline: fresh work comes out.
  EXPECT_EQ(t.Lease("x", kT0 + absl::Seconds(10) - absl::Nanoseconds(1))->work_id, b);

  std::optional<WorkLease> again = t.Lease("new", kT0 + absl::Seconds(10));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->work_id, a);
  EXPECT_EQ(again->prompt_ids, (std::vector<int64_t>{1}));
  EXPECT_EQ(again->deadline, kT0 + absl::Seconds(20));
  EXPECT_EQ(t.stats().reissued, 1);
  EXPECT_EQ(t.stats().issued, 3);
  EXPECT_EQ(t.leased(), 2u);
}

TEST(LeaseTableTest, OldHolderDroppedAfterReissueNewHolderAccepted) {
  LeaseTable t = MakeTable();
  const std::string a = t.Add({1}, 0);
  t.Lease("old", kT0);
  t.Lease("new", kT0 + absl::Seconds(11));
  EXPECT_EQ(t.Submit(a, "old"), SubmitOutcome::kNotHolder);
  EXPECT_EQ(t.completed(), 0u);
  EXPECT_EQ(t.Submit(a, "new"), SubmitOutcome::kAccepted);
  EXPECT_EQ(t.completed(), 1u);
  EXPECT_EQ(t.leased(), 0u);
  EXPECT_EQ(t.stats().not_holder, 1);
}

TEST(LeaseTableTest, LateHolderAcceptedWhileNotYetReissuedAndUnitThenNeverReissued) {
  LeaseTable t = MakeTable();
  const std::string a = t.Add({1}, 0);
  t.Lease("slow", kT0);
  // The submission arrives after the deadline but before any Lease call re-issued the unit.
  EXPECT_EQ(t.Submit(a, "slow"), SubmitOutcome::kAccepted);
  EXPECT_FALSE(t.Lease("other", kT0 + absl::Hours(1)).has_value());
  EXPECT_EQ(t.stats().reissued, 0);
}

TEST(LeaseTableTest, SecondSubmitIsDuplicateAndCountedOnce) {
  LeaseTable t = MakeTable();
  const std::string a = t.Add({1}, 0);
  t.Lease("a1", kT0);
  EXPECT_EQ(t.Submit(a, "a1"), SubmitOutcome::kAccepted);
  EXPECT_EQ(t.Submit(a, "a1"), SubmitOutcome::kDuplicate);
  EXPECT_EQ(t.Submit(a, "someone-else"), SubmitOutcome::kDuplicate);
  EXPECT_EQ(t.completed(), 1u);
  EXPECT_EQ(t.stats().duplicates, 2);
}

TEST(LeaseTableTest, UnknownAndNeverLeasedWorkIsDropped) {
  LeaseTable t = MakeTable();
  const std::string a = t.Add({1}, 0);
  EXPECT_EQ(t.Submit("w999", "a1"), SubmitOutcome::kUnknown);
  EXPECT_EQ(t.Submit(a, "a1"), SubmitOutcome::kNotHolder);
  EXPECT_EQ(t.ready(), 1u);
}

TEST(LeaseTableTest, NoSampleCountedTwiceWhenAnActorDiesMidRun) {
  LeaseTable t = MakeTable(absl::Seconds(10), 3);
  for (int i = 0; i < 6; ++i) t.Add({i}, 0);
  std::map<std::string, int> accepted;
  // "dying" takes two units and is never heard from again (its delayed submissions surface only
  // after the run); "alive" asks for work every second and submits at once.
  std::vector<std::string> dying_held;
  for (int i = 0; i < 2; ++i) dying_held.push_back(t.Lease("dying", kT0)->work_id);
  absl::Time now = kT0;
  for (int step = 0; step < 40 && t.completed() < 6; ++step) {
    now += absl::Seconds(1);
    std::optional<WorkLease> lease = t.Lease("alive", now);
    if (!lease) continue;
    if (t.Submit(lease->work_id, "alive") == SubmitOutcome::kAccepted) ++accepted[lease->work_id];
  }
  for (const std::string& id : dying_held) {
    EXPECT_EQ(t.Submit(id, "dying"), SubmitOutcome::kDuplicate) << id;
  }
  EXPECT_EQ(t.completed(), 6u);
  EXPECT_EQ(accepted.size(), 6u);
  for (const auto& [id, n] : accepted) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(t.stats().reissued, 2);
  EXPECT_EQ(t.stats().duplicates, 2);
  EXPECT_EQ(t.stats().abandoned, 0);
  EXPECT_EQ(t.ready(), 0u);
  EXPECT_EQ(t.leased(), 0u);
}

TEST(LeaseTableTest, UnitReissuedMoreThanMaxReissuesIsAbandoned) {
  LeaseTable t = MakeTable(absl::Seconds(10), 1);
  const std::string a = t.Add({1}, 0);
  t.Lease("a1", kT0);
  EXPECT_EQ(t.Lease("a2", kT0 + absl::Seconds(10))->work_id, a);  // The one allowed re-issue.
  const std::string b = t.Add({2}, 0);
  // The second expiry abandons `a`; the caller gets the fresh unit instead.
  EXPECT_EQ(t.Lease("a3", kT0 + absl::Seconds(20))->work_id, b);
  EXPECT_EQ(t.stats().abandoned, 1);
  EXPECT_EQ(t.TakeAbandoned(), std::vector<std::string>{a});
  EXPECT_TRUE(t.TakeAbandoned().empty());
  EXPECT_EQ(t.stats().reissued, 1);
  EXPECT_EQ(t.leased(), 1u);
  EXPECT_EQ(t.Submit(a, "a2"), SubmitOutcome::kNotHolder);
  EXPECT_EQ(t.completed(), 0u);
}

TEST(LeaseTableTest, ZeroMaxReissuesAbandonsOnFirstExpiry) {
  LeaseTable t = MakeTable(absl::Seconds(10), 0);
  t.Add({1}, 0);
  t.Lease("a1", kT0);
  EXPECT_FALSE(t.Lease("a2", kT0 + absl::Seconds(10)).has_value());
  EXPECT_EQ(t.stats().abandoned, 1);
  EXPECT_EQ(t.leased(), 0u);
}

TEST(LeaseTableTest, UrgentUnitIsLeasedBeforeOlderFreshUnits) {
  LeaseTable t = MakeTable(absl::Seconds(10), 1);
  const std::string first = t.Add({1}, 0);
  const std::string urgent = t.Add({2}, 0, /*urgent=*/true);
  EXPECT_EQ(t.Lease("a", kT0)->work_id, urgent);
  EXPECT_EQ(t.Lease("a", kT0)->work_id, first);
}

}  // namespace
}  // namespace fulcrum
