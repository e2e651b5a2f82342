#include "learner/learner_metrics.h"

#include "absl/time/clock.h"

namespace fulcrum {
LearnerMetrics& LearnerMetrics::Get() {
  static LearnerMetrics* metrics = new LearnerMetrics();
  return *metrics;
}

LearnerMetrics::LearnerMetrics()
    : steps_(CounterMetric("fulcrum_learner_steps_total", "Optimizer steps of the running stage.")),
      step_seconds_(HistogramMetric("fulcrum_learner_step_seconds", "Seconds per optimizer step (mean over a logging interval).",
                                    SecondsBuckets())),
      loss_(GaugeMetric("fulcrum_learner_loss", "The latest training loss.", {{"kind", "total"}})),
      policy_loss_(GaugeMetric("fulcrum_learner_loss", "The latest training loss.", {{"kind", "policy"}})),
      value_loss_(GaugeMetric("fulcrum_learner_loss", "The latest training loss.", {{"kind", "value"}})),
      kl_(GaugeMetric("fulcrum_learner_kl", "KL to the reference policy in the latest RL update.")),
      entropy_(GaugeMetric("fulcrum_learner_entropy", "Mean token entropy of the policy in the latest RL update.")),
      clip_fraction_(GaugeMetric("fulcrum_learner_clip_fraction", "Fraction of tokens whose ratio was clipped in the latest RL update.")),
      heldout_accuracy_(GaugeMetric("fulcrum_learner_heldout_accuracy_ratio", "The latest held-out accuracy (verifier, greedy).")),
      reward_(HistogramMetric("fulcrum_learner_reward", "Rewards of the samples trained on.", RewardBuckets())),
      samples_(CounterMetric("fulcrum_learner_samples_total", "Samples trained on.")),
      staleness_(HistogramMetric("fulcrum_learner_staleness_versions",
                                 "Policy versions a trained group lags the learner by.", CountBuckets())),
      policy_version_(GaugeMetric("fulcrum_learner_policy_version", "The newest policy version published to actors.")),
      publish_seconds_(HistogramMetric("fulcrum_learner_weight_publish_seconds",
                                       "Seconds to snapshot and publish a policy version.", SecondsBuckets())),
      leases_issued_(CounterMetric("fulcrum_learner_leases_issued_total", "Work-unit leases handed to actors, re-issues included.")),
      leases_expired_(CounterMetric("fulcrum_learner_leases_expired_total", "Leases that expired before their results came.")),
      leases_reissued_(CounterMetric("fulcrum_learner_leases_reissued_total", "Expired leases handed to another actor.")),
      duplicates_(CounterMetric("fulcrum_learner_duplicates_total", "Submissions of a unit already completed, dropped.")),
      stale_drops_(CounterMetric("fulcrum_learner_stale_drops_total", "Samples dropped for lagging more than max_staleness.")),
      missing_rewards_(CounterMetric("fulcrum_learner_missing_rewards_total", "Accepted samples whose reward was missing.")),
      units_outstanding_(GaugeMetric("fulcrum_learner_queue_depth", "Queued work: units leased or ready, groups buffered.",
                               {{"queue", "units_outstanding"}})),
      groups_buffered_(GaugeMetric("fulcrum_learner_queue_depth", "Queued work: units leased or ready, groups buffered.",
                             {{"queue", "groups_buffered"}})),
      weight_bytes_(CounterMetric("fulcrum_learner_weight_sync_bytes_total", "Weight bytes streamed to actors.")) {}

void LearnerMetrics::Advance(prometheus::Counter& counter, int64_t total, int64_t* seen) {
  if (total > *seen) counter.Increment(static_cast<double>(total - *seen));
  *seen = total;
}

void LearnerMetrics::Record(const nlohmann::json& record) {
  if (!record.is_object()) return;
  auto set = [&](const char* key, prometheus::Gauge& gauge) {
    if (auto it = record.find(key); it != record.end() && it->is_number()) gauge.Set(it->get<double>());
  };
  set("heldout_accuracy", heldout_accuracy_);
  if (record.contains("kind") || !record.contains("step") || !record["step"].is_number()) return;
  set("loss", loss_);
  set("policy_loss", policy_loss_);
  set("value_loss", value_loss_);
  set("kl", kl_);
  set("entropy", entropy_);
  set("clip_fraction", clip_fraction_);
  const int64_t step = record["step"].get<int64_t>();
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (last_step_ >= 0 && step > last_step_) {
    steps_.Increment(static_cast<double>(step - last_step_));
    step_seconds_.Observe(absl::ToDoubleSeconds(now - last_step_time_) / static_cast<double>(step - last_step_));
  }
  last_step_ = step;
  last_step_time_ = now;
}

void LearnerMetrics::Groups(const std::vector<RolloutGroup>& groups, int64_t version) {
  for (const RolloutGroup& group : groups) {
    staleness_.Observe(static_cast<double>(version - group.policy_version));
    for (const v1::Sample& sample : group.samples) {
      if (!sample.reward().missing()) reward_.Observe(sample.reward().value());
    }
    samples_.Increment(static_cast<double>(group.samples.size()));
  }
}

void LearnerMetrics::Coordinator(const RolloutCoordinator::Stats& stats, size_t units_outstanding,
                                 size_t groups_buffered) {
  absl::MutexLock lock(&mu_);
  Advance(leases_issued_, stats.leases.issued, &seen_.leases.issued);
  Advance(leases_reissued_, stats.leases.reissued, &seen_.leases.reissued);
  Advance(leases_expired_, stats.leases.reissued + stats.leases.abandoned, &seen_expired_);
  Advance(duplicates_, stats.leases.duplicates, &seen_.leases.duplicates);
  Advance(stale_drops_, stats.stale_dropped, &seen_.stale_dropped);
  Advance(missing_rewards_, stats.missing_rewards, &seen_.missing_rewards);
  units_outstanding_.Set(static_cast<double>(units_outstanding));
  groups_buffered_.Set(static_cast<double>(groups_buffered));
}

void LearnerMetrics::PolicyPublished(int64_t version, double seconds) {
  policy_version_.Set(static_cast<double>(version));
  publish_seconds_.Observe(seconds);
}

void LearnerMetrics::ActorLag(const std::string& actor_id, int64_t versions) {
  GaugeMetric("fulcrum_learner_actor_version_lag", "Versions the samples an actor last submitted lag the learner by.",
        {{"actor", actor_id}})
      .Set(static_cast<double>(versions));
}

void LearnerMetrics::WeightBytesSent(int64_t bytes) { weight_bytes_.Increment(static_cast<double>(bytes)); }

}  // namespace fulcrum
