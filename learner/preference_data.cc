#include "learner/preference_data.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/scoring.h"
#include "core/status_macros.h"

namespace fulcrum {

absl::StatusOr<std::vector<TokenizedPair>> TokenizePreferences(const std::vector<PreferenceExample>& examples,
                                                               const Tokenizer& tokenizer, int max_seq_len,
                                                               const std::string& source) {
  // Both sides go through TokenizeSft, whose example index is the pair's line-order index.
  std::vector<SftExample> chosen, rejected;
  chosen.reserve(examples.size());
  rejected.reserve(examples.size());
  for (const PreferenceExample& example : examples) {
    chosen.push_back({example.prompt, example.chosen});
    rejected.push_back({example.prompt, example.rejected});
  }
  FULCRUM_ASSIGN_OR_RETURN(std::vector<TokenizedExample> chosen_tokens,
                           TokenizeSft(chosen, tokenizer, max_seq_len, absl::StrCat(source, " (chosen)")));
  FULCRUM_ASSIGN_OR_RETURN(std::vector<TokenizedExample> rejected_tokens,
                           TokenizeSft(rejected, tokenizer, max_seq_len, absl::StrCat(source, " (rejected)")));
  std::vector<TokenizedPair> out(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    out[i].chosen = std::move(chosen_tokens[i]);
    out[i].rejected = std::move(rejected_tokens[i]);
  }
  return out;
}

PairBatch MakePairBatch(const std::vector<const TokenizedPair*>& pairs, int pad_id) {
  const int64_t b = static_cast<int64_t>(pairs.size());
  std::vector<const TokenizedExample*> rows;
  rows.reserve(2 * b);
  for (const auto* pair : pairs) rows.push_back(&pair->chosen);
  for (const auto* pair : pairs) rows.push_back(&pair->rejected);

  std::vector<std::vector<int>> sequences;
  sequences.reserve(rows.size());
  for (const auto* row : rows) sequences.push_back(row->tokens);
  PaddedBatch padded = RightPad(sequences, pad_id);

  const int64_t t = padded.tokens.size(1);
  torch::Tensor response_mask = torch::zeros({2 * b, std::max<int64_t>(t - 1, 0)}, torch::kFloat32);
  torch::Tensor last_index = torch::empty({2 * b}, torch::kInt64);
  auto mask = response_mask.accessor<float, 2>();
  auto last = last_index.accessor<int64_t, 1>();
  for (int64_t i = 0; i < 2 * b; ++i) {
    const int64_t length = static_cast<int64_t>(rows[i]->tokens.size());
    // Target position j predicts token j+1, a response token when j+1 >= prompt_len.
    for (int64_t j = std::max<int64_t>(rows[i]->prompt_len - 1, 0); j + 1 < length; ++j) mask[i][j] = 1.0f;
    last[i] = length - 1;
  }
  return {padded.tokens, response_mask, last_index, b};
}

}  // namespace fulcrum
