// LearnerMetrics: training records become the step counter and the gauges; the coordinator's
// cumulative stats become counters that move by what was added since the last call, never twice.
#include "learner/learner_metrics.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/metric_values.h"

namespace fulcrum {
namespace {

using testing::HistogramSum;
using testing::MetricValue;

TEST(LearnerMetricsTest, TrainingRecordsMoveTheStepCounterAndSetTheGauges) {
  LearnerMetrics& metrics = LearnerMetrics::Get();
  const double steps = MetricValue("fulcrum_learner_steps_total");
  const double timed = MetricValue("fulcrum_learner_step_seconds");
  metrics.Record({{"step", 0}, {"loss", 3.0}});  // A stage's first record: where counting starts.
  metrics.Record({{"step", 10}, {"loss", 2.5}, {"kl", 0.125}, {"entropy", 1.5}, {"clip_fraction", 0.25}});
  metrics.Record({{"step", 14}, {"loss", 2.0}});
  metrics.Record({{"step", 14}, {"kind", "eval"}, {"heldout_accuracy", 0.75}, {"loss", 99.0}});
  EXPECT_EQ(MetricValue("fulcrum_learner_steps_total") - steps, 14);
  EXPECT_EQ(MetricValue("fulcrum_learner_step_seconds") - timed, 2);  // one mean per record
  EXPECT_EQ(MetricValue("fulcrum_learner_loss", {{"kind", "total"}}), 2.0);  // an eval record sets no loss
  EXPECT_EQ(MetricValue("fulcrum_learner_kl"), 0.125);
  EXPECT_EQ(MetricValue("fulcrum_learner_entropy"), 1.5);
  EXPECT_EQ(MetricValue("fulcrum_learner_clip_fraction"), 0.25);
  EXPECT_EQ(MetricValue("fulcrum_learner_heldout_accuracy_ratio"), 0.75);
}

TEST(LearnerMetricsTest, CoordinatorCountersMoveByWhatWasAdded) {
  LearnerMetrics& metrics = LearnerMetrics::Get();
  const double issued = MetricValue("fulcrum_learner_leases_issued_total");
  const double expired = MetricValue("fulcrum_learner_leases_expired_total");
  const double stale = MetricValue("fulcrum_learner_stale_drops_total");
  RolloutCoordinator::Stats stats;
  stats.leases.issued = 5;
  stats.leases.reissued = 1;
  stats.leases.abandoned = 2;
  stats.stale_dropped = 8;
  metrics.Coordinator(stats, 3, 2);
  metrics.Coordinator(stats, 3, 2);  // nothing new: nothing counted
  stats.leases.issued = 7;
  metrics.Coordinator(stats, 1, 0);
  EXPECT_EQ(MetricValue("fulcrum_learner_leases_issued_total") - issued, 7);
  EXPECT_EQ(MetricValue("fulcrum_learner_leases_expired_total") - expired, 3);  // re-issued + abandoned
  EXPECT_EQ(MetricValue("fulcrum_learner_stale_drops_total") - stale, 8);
  EXPECT_EQ(MetricValue("fulcrum_learner_queue_depth", {{"queue", "units_outstanding"}}), 1);
  EXPECT_EQ(MetricValue("fulcrum_learner_queue_depth", {{"queue", "groups_buffered"}}), 0);
}

TEST(LearnerMetricsTest, GroupsObserveRewardsAndStaleness) {
  LearnerMetrics& metrics = LearnerMetrics::Get();
  const double rewards = MetricValue("fulcrum_learner_reward");
  const double reward_sum = HistogramSum("fulcrum_learner_reward");
  const double staleness_sum = HistogramSum("fulcrum_learner_staleness_versions");
  RolloutGroup group;
  group.policy_version = 4;
  group.samples.resize(3);
  group.samples[0].mutable_reward()->set_value(1.0);
  group.samples[1].mutable_reward()->set_value(0.5);
  group.samples[2].mutable_reward()->set_missing(true);
  metrics.Groups({group}, /*version=*/6);
  EXPECT_EQ(MetricValue("fulcrum_learner_reward") - rewards, 2);  // the missing reward is not a 0
  EXPECT_EQ(HistogramSum("fulcrum_learner_reward") - reward_sum, 1.5);
  EXPECT_EQ(HistogramSum("fulcrum_learner_staleness_versions") - staleness_sum, 2);
}

}  // namespace
}  // namespace fulcrum
