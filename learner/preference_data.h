// Turns preference pairs (prompt, chosen, rejected) into training sequences for the stages that
// learn from comparisons: the reward model (Bradley–Terry on a score head) and DPO (log-prob
// ratios against a reference). Each side of a pair is an SFT sequence [BOS] prompt response [EOS].
#ifndef FULCRUM_LEARNER_PREFERENCE_DATA_H_
#define FULCRUM_LEARNER_PREFERENCE_DATA_H_

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "core/examples.h"
#include "core/tokenizer.h"
#include "learner/sft_data.h"

namespace fulcrum {

struct TokenizedPair {
  TokenizedExample chosen, rejected;
};

// Tokenizes each pair as two SFT sequences (TokenizeSft); errors name `source`, the pair's
// line-order index and which side failed.
absl::StatusOr<std::vector<TokenizedPair>> TokenizePreferences(const std::vector<PreferenceExample>& examples,
                                                               const Tokenizer& tokenizer, int max_seq_len,
                                                               const std::string& source);

// 2B right-padded sequences: rows [0,B) the chosen, rows [B,2B) the rejected sequences, so one
// forward pass serves both sides of every pair.
struct PairBatch {
  torch::Tensor tokens;         // [2B, T] int64
  torch::Tensor response_mask;  // [2B, T-1] float: 1 where tokens[:, 1:] is a response token (incl. EOS)
  torch::Tensor last_index;     // [2B] int64: index of each sequence's last real token
  int64_t pairs = 0;            // B
};
PairBatch MakePairBatch(const std::vector<const TokenizedPair*>& pairs, int pad_id);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_PREFERENCE_DATA_H_
