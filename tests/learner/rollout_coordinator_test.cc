#include "learner/rollout_coordinator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/tensor_proto.h"

namespace fulcrum {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1000);

std::vector<RlPrompt> Prompts(int n, const std::string& prefix) {
  std::vector<RlPrompt> prompts;
  for (int i = 0; i < n; ++i) prompts.push_back({prefix + std::to_string(i) + "=", std::to_string(i)});
  return prompts;
}

RolloutCoordinator::Options SmallOptions(int max_staleness) {
  RolloutCoordinator::Options options;
  options.leases.lease_timeout = absl::Seconds(10);
  options.leases.max_reissues = 1;
  options.max_staleness = max_staleness;
  options.prompts_per_step = 4;
  options.prompts_per_unit = 2;
  options.eval_prompts_per_unit = 3;
  options.group_size = 2;
  options.sampling.set_max_new_tokens(8);
  options.sampling.set_temperature(1.0f);
  return options;
}

std::unique_ptr<RolloutCoordinator> Make(int max_staleness) {
  auto c = RolloutCoordinator::Create(SmallOptions(max_staleness), Prompts(10, "t"), Prompts(5, "e"));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

// What a well-behaved actor submits for `unit`: group_size samples per prompt, prompt-major.
v1::SubmitRolloutsRequest Samples(const v1::WorkUnit& unit, const std::string& actor, int64_t version) {
  v1::SubmitRolloutsRequest request;
  request.set_protocol_version(1);
  request.set_work_id(unit.work_id());
  request.set_actor_id(actor);
  for (int p = 0; p < unit.prompts_size(); ++p) {
    for (int g = 0; g < unit.group_size(); ++g) {
      v1::Sample* s = request.add_samples();
      s->set_prompt_index(p);
      s->add_prompt_tokens(1);
      s->add_completion_tokens(5);
      s->add_completion_tokens(2);
      *s->mutable_behaviour_logprobs() = TensorToProto(torch::tensor({-0.5f, -0.1f}));
      s->mutable_reward()->set_value(g % 2);
      s->set_policy_version(version);
    }
  }
  return request;
}

TEST(RolloutCoordinatorTest, NoWorkBeforeTheFirstVersion) {
  auto c = Make(0);
  v1::LeaseWorkResponse r = c->LeaseWork("a", kT0);
  EXPECT_FALSE(r.has_unit());
  EXPECT_GT(r.retry_after_ms(), 0);
}

TEST(RolloutCoordinatorTest, OnPolicyIssuesExactlyOneStepOfWork) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  std::vector<v1::WorkUnit> units;
  for (int i = 0; i < 3; ++i) {
    v1::LeaseWorkResponse r = c->LeaseWork("a", kT0);
    if (r.has_unit()) units.push_back(r.unit());
  }
  ASSERT_EQ(units.size(), 2u);  // 4 prompts per step / 2 per unit; nothing runs ahead.
  EXPECT_EQ(units[0].kind(), v1::WorkUnit::TRAIN);
  EXPECT_EQ(units[0].group_size(), 2);
  EXPECT_EQ(units[0].prompts_size(), 2);
  EXPECT_EQ(units[0].min_policy_version(), 0);
  EXPECT_FALSE(units[0].sampling().greedy());
  for (const auto& unit : units) {
    auto response = c->Submit(Samples(unit, "a", 0));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->accepted(), 4);
  }
  auto groups = c->TakeGroups(kT0);  // Already there: the past deadline does not matter.
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 4u);
  EXPECT_EQ((*groups)[0].samples.size(), 2u);
  EXPECT_EQ(c->stats().groups_accepted, 4);
  // The next step's work appears only with the next version.
  EXPECT_FALSE(c->LeaseWork("a", kT0).has_unit());
  c->SetPolicyVersion(1);
  EXPECT_EQ(c->LeaseWork("a", kT0).unit().min_policy_version(), 1);
}

TEST(RolloutCoordinatorTest, StalenessOneKeepsTheNextStepInFlight) {
  auto c = Make(1);
  c->SetPolicyVersion(0);
  int units = 0;
  while (c->LeaseWork("a", kT0).has_unit()) ++units;
  EXPECT_EQ(units, 4);  // 4 prompts for this step and 4 for the next.
}

TEST(RolloutCoordinatorTest, DuplicateSubmissionIsAcknowledgedAndDropped) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  v1::WorkUnit unit = c->LeaseWork("a", kT0).unit();
  ASSERT_TRUE(c->Submit(Samples(unit, "a", 0)).ok());
  auto again = c->Submit(Samples(unit, "a", 0));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->accepted(), 0);
  EXPECT_EQ(c->stats().samples_accepted, 4);
  EXPECT_EQ(c->stats().leases.duplicates, 1);
  EXPECT_EQ(c->groups_buffered(), 2u);
}

TEST(RolloutCoordinatorTest, SamplesOlderThanTheBoundAreDroppedAndReplaced) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  v1::WorkUnit unit = c->LeaseWork("a", kT0).unit();
  c->SetPolicyVersion(1);
  auto response = c->Submit(Samples(unit, "a", 0));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->accepted(), 0);
  EXPECT_EQ(response->stale_dropped(), 4);
  EXPECT_EQ(c->stats().stale_dropped, 4);
  int fresh = 0;
  while (c->LeaseWork("b", kT0).has_unit()) ++fresh;
  EXPECT_EQ(fresh, 2);  // The dropped prompts are replaced: a full step of work at version 1.
}

TEST(RolloutCoordinatorTest, MalformedSubmissionIsRejectedAndTheUnitStaysOpen) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  v1::WorkUnit unit = c->LeaseWork("a", kT0).unit();
  v1::SubmitRolloutsRequest short_request = Samples(unit, "a", 0);
  short_request.mutable_samples()->RemoveLast();
  EXPECT_THAT(c->Submit(short_request).status().message(), HasSubstr("expected 4 samples"));
  v1::SubmitRolloutsRequest bad_logprobs = Samples(unit, "a", 0);
  *bad_logprobs.mutable_samples(1)->mutable_behaviour_logprobs() = TensorToProto(torch::zeros({3}));
  EXPECT_THAT(c->Submit(bad_logprobs).status().message(), HasSubstr("sample 1: behaviour_logprobs"));
  v1::SubmitRolloutsRequest future = Samples(unit, "a", 3);
  EXPECT_THAT(c->Submit(future).status().message(), HasSubstr("never published"));
  auto ok = c->Submit(Samples(unit, "a", 0));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->accepted(), 4);
}

TEST(RolloutCoordinatorTest, MissingRewardsAreCounted) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  v1::WorkUnit unit = c->LeaseWork("a", kT0).unit();
  v1::SubmitRolloutsRequest request = Samples(unit, "a", 0);
  request.mutable_samples(0)->mutable_reward()->set_missing(true);
  ASSERT_TRUE(c->Submit(request).ok());
  EXPECT_EQ(c->stats().missing_rewards, 1);
}

TEST(RolloutCoordinatorTest, EvalRoundGoesFirstAndCompletesWhenEveryUnitIsBack) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  const int64_t round = c->StartEval();
  std::vector<v1::WorkUnit> eval_units;
  for (int i = 0; i < 2; ++i) eval_units.push_back(c->LeaseWork("a", kT0).unit());
  for (const auto& unit : eval_units) {
    EXPECT_EQ(unit.kind(), v1::WorkUnit::EVAL);
    EXPECT_EQ(unit.group_size(), 1);
    EXPECT_TRUE(unit.sampling().greedy());
    EXPECT_FALSE(unit.need_reference_logprobs());
  }
  EXPECT_EQ(eval_units[0].prompts_size() + eval_units[1].prompts_size(), 5);
  ASSERT_TRUE(c->Submit(Samples(eval_units[0], "a", 0)).ok());
  EXPECT_FALSE(c->EvalResult(round).has_value());
  ASSERT_TRUE(c->Submit(Samples(eval_units[1], "a", 0)).ok());
  auto samples = c->WaitEval(round, kT0);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(samples->size(), 5u);
}

TEST(RolloutCoordinatorTest, AbandonedEvalUnitIsQueuedAgain) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  const int64_t round = c->StartEval();
  v1::WorkUnit first = c->LeaseWork("dead", kT0).unit();
  v1::WorkUnit second = c->LeaseWork("a", kT0).unit();
  ASSERT_TRUE(c->Submit(Samples(second, "a", 0)).ok());
  // First expiry: re-issued; second expiry: abandoned and replaced by a new unit of the same prompts.
  EXPECT_EQ(c->LeaseWork("dead", kT0 + absl::Seconds(10)).unit().work_id(), first.work_id());
  v1::WorkUnit replacement = c->LeaseWork("b", kT0 + absl::Seconds(20)).unit();
  if (replacement.kind() == v1::WorkUnit::TRAIN) replacement = c->LeaseWork("b", kT0 + absl::Seconds(20)).unit();
  EXPECT_NE(replacement.work_id(), first.work_id());
  EXPECT_EQ(replacement.kind(), v1::WorkUnit::EVAL);
  EXPECT_EQ(replacement.prompts(0).prompt(), first.prompts(0).prompt());
  ASSERT_TRUE(c->Submit(Samples(replacement, "b", 0)).ok());
  ASSERT_TRUE(c->EvalResult(round).has_value());
}

TEST(RolloutCoordinatorTest, WaitingEndsWithAClearErrorOrOnFinish) {
  auto c = Make(0);
  c->SetPolicyVersion(0);
  EXPECT_THAT(c->TakeGroups(absl::Now() + absl::Milliseconds(10)).status().message(),
              HasSubstr("0 of 4 prompt groups arrived"));
  c->Finish();
  EXPECT_EQ(c->TakeGroups(absl::InfiniteFuture()).status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(c->LeaseWork("a", kT0).stage_finished());
}

}  // namespace
}  // namespace fulcrum
