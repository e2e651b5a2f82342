#include "learner/preference_data.h"

#include <gtest/gtest.h>

#include "core/char_tokenizer.h"

namespace fulcrum {
namespace {

TEST(PreferenceDataTest, TokenizesBothSidesAsSftSequences) {
  CharTokenizer tokenizer;
  auto pairs = TokenizePreferences({{"1+2=", "3", "41"}}, tokenizer, 16, "prefs.jsonl");
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 1u);
  const TokenizedPair& pair = pairs->front();
  EXPECT_EQ(pair.chosen.prompt_len, 5);  // BOS + "1+2="
  EXPECT_EQ(pair.rejected.prompt_len, 5);
  EXPECT_EQ(pair.chosen.tokens.size(), 7u);  // + "3" + EOS
  EXPECT_EQ(pair.rejected.tokens.size(), 8u);
  EXPECT_EQ(pair.chosen.tokens.front(), tokenizer.bos_id());
  EXPECT_EQ(pair.rejected.tokens.back(), tokenizer.eos_id());
}

TEST(PreferenceDataTest, ErrorsNameTheSourcePairAndSide) {
  CharTokenizer tokenizer;
  auto too_long = TokenizePreferences({{"1+2=", "3", "4"}, {"1+2=", "3", "444444444444"}}, tokenizer, 10,
                                      "prefs.jsonl");
  ASSERT_FALSE(too_long.ok());
  const std::string message(too_long.status().message());
  EXPECT_NE(message.find("prefs.jsonl"), std::string::npos) << message;
  EXPECT_NE(message.find("rejected"), std::string::npos) << message;
  EXPECT_NE(message.find("example 2"), std::string::npos) << message;

  auto bad_char = TokenizePreferences({{"1+2=", "\x01", "4"}}, tokenizer, 10, "prefs.jsonl");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_NE(std::string(bad_char.status().message()).find("chosen"), std::string::npos);
}

TEST(PreferenceDataTest, PairBatchStacksChosenThenRejectedWithMasks) {
  CharTokenizer tokenizer;
  auto pairs = TokenizePreferences({{"1+2=", "3", "41"}, {"9+9=", "18", "1"}}, tokenizer, 16, "p");
  ASSERT_TRUE(pairs.ok());
  PairBatch batch = MakePairBatch({&(*pairs)[0], &(*pairs)[1]}, tokenizer.pad_id());
  EXPECT_EQ(batch.pairs, 2);
  ASSERT_EQ(batch.tokens.sizes(), (std::vector<int64_t>{4, 8}));
  ASSERT_EQ(batch.response_mask.sizes(), (std::vector<int64_t>{4, 7}));
  EXPECT_EQ(batch.response_mask.scalar_type(), torch::kFloat32);
  // Rows: chosen 0 (len 7), chosen 1 (len 8), rejected 0 (len 8), rejected 1 (len 7).
  EXPECT_EQ(batch.last_index[0].item<int64_t>(), 6);
  EXPECT_EQ(batch.last_index[1].item<int64_t>(), 7);
  EXPECT_EQ(batch.last_index[2].item<int64_t>(), 7);
  EXPECT_EQ(batch.last_index[3].item<int64_t>(), 6);
  EXPECT_EQ(batch.tokens[1][7].item<int64_t>(), tokenizer.eos_id());
  EXPECT_EQ(batch.tokens[0][7].item<int64_t>(), tokenizer.pad_id());
  // Targets 5.. are the response and EOS: "3",EOS for row 0; "18",EOS for row 1.
  std::vector<float> row0(batch.response_mask[0].data_ptr<float>(), batch.response_mask[0].data_ptr<float>() + 7);
  EXPECT_EQ(row0, (std::vector<float>{0, 0, 0, 0, 1, 1, 0}));
  EXPECT_FLOAT_EQ(batch.response_mask.sum().item<float>(), 2 + 3 + 3 + 2);
  // The masked targets are exactly the tokens after the prompt, padding excluded.
  torch::Tensor targets = batch.tokens.narrow(1, 1, 7);
  EXPECT_EQ(((targets == tokenizer.pad_id()).to(torch::kFloat32) * batch.response_mask).sum().item<float>(), 0);
}

}  // namespace
}  // namespace fulcrum
