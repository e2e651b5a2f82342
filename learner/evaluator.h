// Held-out evaluation: exact-match accuracy of greedy generations judged by the task's verifier,
// and teacher-forced loss on held-out responses.
#ifndef FULCRUM_LEARNER_EVALUATOR_H_
#define FULCRUM_LEARNER_EVALUATOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/examples.h"
#include "core/gpt.h"
#include "core/tokenizer.h"
#include "learner/sft_data.h"
#include "tasks/task.h"

namespace fulcrum {

struct AccuracyResult {
  int64_t correct = 0;
  int64_t total = 0;
  double accuracy() const { return total == 0 ? 0.0 : static_cast<double>(correct) / total; }
};

absl::StatusOr<AccuracyResult> EvaluateAccuracy(Gpt& model, const Tokenizer& tokenizer, const Task& task,
                                                const std::vector<RlPrompt>& prompts, int max_new_tokens,
                                                int batch_size);

// Mean response-token NLL over `examples`, without gradients.
double HeldoutLoss(Gpt& model, const std::vector<TokenizedExample>& examples, int pad_id, int batch_size);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_EVALUATOR_H_
