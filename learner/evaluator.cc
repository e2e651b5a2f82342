#include "learner/evaluator.h"

#include <algorithm>

#include "core/generation.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::StatusOr<AccuracyResult> EvaluateAccuracy(Gpt& model, const Tokenizer& tokenizer, const Task& task,
                                                const std::vector<RlPrompt>& prompts, int max_new_tokens,
                                                int batch_size) {
  SamplingParams params;
  params.greedy = true;
  params.max_new_tokens = max_new_tokens;
  params.stop_tokens = {tokenizer.eos_id()};
  AccuracyResult result;
  for (size_t start = 0; start < prompts.size(); start += batch_size) {
    const size_t end = std::min(prompts.size(), start + batch_size);
    std::vector<std::vector<int>> encoded;
    for (size_t i = start; i < end; ++i) {
      FULCRUM_ASSIGN_OR_RETURN(std::vector<int> ids, EncodePrompt(tokenizer, prompts[i].prompt));
      encoded.push_back(std::move(ids));
    }
    FULCRUM_ASSIGN_OR_RETURN(std::vector<Completion> completions, Generate(model, encoded, params));
    for (size_t i = start; i < end; ++i) {
      const Completion& c = completions[i - start];
      // A completion that ran out of tokens never gave a final answer.
      const bool finished = c.finish_reason == FinishReason::kStop;
      if (finished && task.Verify(tokenizer.Decode(c.tokens), prompts[i].ground_truth).correct) {
        ++result.correct;
      }
      ++result.total;
    }
  }
  return result;
}

double HeldoutLoss(Gpt& model, const std::vector<TokenizedExample>& examples, int pad_id, int batch_size) {
  torch::NoGradGuard no_grad;
  double weighted = 0;
  int64_t tokens = 0;
  for (size_t start = 0; start < examples.size(); start += batch_size) {
    std::vector<const TokenizedExample*> batch;
    for (size_t i = start; i < std::min(examples.size(), start + batch_size); ++i) batch.push_back(&examples[i]);
    ResponseLoss loss = ComputeResponseLoss(model, batch, pad_id);
    weighted += loss.loss.item<double>() * loss.tokens;
    tokens += loss.tokens;
  }
  return tokens == 0 ? 0.0 : weighted / tokens;
}

}  // namespace fulcrum
