#include "core/tokenizer.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/char_tokenizer.h"
#include "core/sentencepiece_tokenizer.h"
#include "core/tokenizer_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fulcrum {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string FreshDir() {
  const std::string dir =
      std::filesystem::path(::testing::TempDir()) /
      ("tokenizer_test_" +
       std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A small BPE model trained on arithmetic sentences; byte fallback lets it encode any UTF-8 text.
std::string TrainModel(int pad_id) {
  std::vector<std::string> sentences;
  for (int i = 0; i < 300; ++i) {
    sentences.push_back("what is " + std::to_string(i * 37) + " plus " + std::to_string(i * 11) +
                        "? the answer is " + std::to_string(i * 48) + ".");
  }
  absl::StatusOr<std::string> model =
      SentencePieceTokenizer::Train(sentences, {{"model_type", "bpe"},
                                                {"vocab_size", "300"},
                                                {"byte_fallback", "true"},
                                                {"pad_id", std::to_string(pad_id)},
                                                {"bos_id", "1"},
                                                {"eos_id", "2"},
                                                {"unk_id", "3"},
                                                {"minloglevel", "2"}});
  EXPECT_TRUE(model.ok()) << model.status();
  return model.value_or("");
}

TEST(CharTokenizerTest, EncodesPrintableAsciiAfterSpecialIds) {
  const CharTokenizer tokenizer;
  EXPECT_EQ(tokenizer.vocab_size(), 3 + 95);
  EXPECT_EQ(tokenizer.pad_id(), 0);
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  absl::StatusOr<std::vector<int>> ids = tokenizer.Encode(" !~");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre(3, 4, 97));
}

TEST(CharTokenizerTest, RoundTripsAndDecodeSkipsSpecialIds) {
  const CharTokenizer tokenizer;
  const std::string text = "12+345=357";
  absl::StatusOr<std::vector<int>> ids = tokenizer.Encode(text);
  ASSERT_TRUE(ids.ok()) << ids.status();
  std::vector<int> framed = {tokenizer.bos_id()};
  framed.insert(framed.end(), ids->begin(), ids->end());
  framed.insert(framed.end(), {tokenizer.eos_id(), tokenizer.pad_id(), tokenizer.pad_id()});
  EXPECT_EQ(tokenizer.Decode(framed), text);
}

TEST(CharTokenizerTest, DecodeMarksIdsOutsideTheVocabulary) {
  const CharTokenizer tokenizer;
  EXPECT_EQ(tokenizer.Decode({36, tokenizer.vocab_size(), -1, 36}),
            "A\xEF\xBF\xBD\xEF\xBF\xBD"
            "A");
}

TEST(CharTokenizerTest, EncodeNamesTheUnknownCharacterAndItsByte) {
  const CharTokenizer tokenizer;
  absl::StatusOr<std::vector<int>> ids = tokenizer.Encode("ab\ncd");
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ids.status().message(), HasSubstr("character '\\n' at byte 2"));

  ids = tokenizer.Encode("x\xC3\xA9");
  ASSERT_FALSE(ids.ok());
  EXPECT_THAT(ids.status().message(), HasSubstr("character '\\xc3' at byte 1"));
}

TEST(CharTokenizerTest, CustomCharsetAssignsIdsInOrder) {
  absl::StatusOr<std::unique_ptr<CharTokenizer>> tokenizer =
      CharTokenizer::Create("0123456789+=\n");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->vocab_size(), 16);
  absl::StatusOr<std::vector<int>> ids = (*tokenizer)->Encode("9+0\n");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ElementsAre(12, 13, 3, 15));
  EXPECT_FALSE((*tokenizer)->Encode("a").ok());
}

TEST(CharTokenizerTest, CreateRejectsBadCharsets) {
  EXPECT_THAT(CharTokenizer::Create("").status().message(), HasSubstr("empty"));
  EXPECT_THAT(CharTokenizer::Create("abca").status().message(), HasSubstr("repeats 'a' at byte 3"));
  EXPECT_THAT(CharTokenizer::Create("a\xC3\xA9").status().message(), HasSubstr("byte 1"));
}

TEST(SentencePieceTokenizerTest, RoundTripsTextAndReportsModelSpecialIds) {
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> tokenizer =
      SentencePieceTokenizer::FromSerializedModel(TrainModel(/*pad_id=*/0), "trained");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->vocab_size(), 300);
  EXPECT_EQ((*tokenizer)->pad_id(), 0);
  EXPECT_EQ((*tokenizer)->bos_id(), 1);
  EXPECT_EQ((*tokenizer)->eos_id(), 2);

  const std::string text = "what is 74 plus 22? the answer is 96. Ünïcode too";
  absl::StatusOr<std::vector<int>> ids = (*tokenizer)->Encode(text);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_LT(ids->size(), text.size());  // Merges learned from the corpus shorten the sequence.
  std::vector<int> framed = {1};
  framed.insert(framed.end(), ids->begin(), ids->end());
  framed.insert(framed.end(), {2, 0, 0});
  EXPECT_EQ((*tokenizer)->Decode(framed), text);
}

TEST(SentencePieceTokenizerTest, RejectsModelsWithoutPadAndGarbage) {
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> no_pad =
      SentencePieceTokenizer::FromSerializedModel(TrainModel(/*pad_id=*/-1), "nopad.model");
  ASSERT_FALSE(no_pad.ok());
  EXPECT_THAT(no_pad.status().message(), HasSubstr("nopad.model has no pad piece"));

  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> garbage =
      SentencePieceTokenizer::FromSerializedModel("not a model", "junk.model");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr("junk.model"));
}

TEST(SentencePieceTokenizerTest, TrainReportsBadOptions) {
  absl::StatusOr<std::string> model =
      SentencePieceTokenizer::Train({"a b c"}, {{"vocab_size", "3"}, {"minloglevel", "2"}});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("training a SentencePiece model"));
}

TEST(TokenizerIoTest, CharTokenizerSurvivesSaveAndLoad) {
  const std::string dir = FreshDir();
  absl::StatusOr<std::unique_ptr<CharTokenizer>> saved = CharTokenizer::Create("ab\n");
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_TRUE(SaveTokenizer(**saved, dir).ok());
  absl::StatusOr<std::unique_ptr<Tokenizer>> loaded = LoadTokenizer(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->ToJson(), (*saved)->ToJson());
  EXPECT_EQ(*(*loaded)->Encode("b\na"), *(*saved)->Encode("b\na"));
}

TEST(TokenizerIoTest, SentencePieceTokenizerSurvivesSaveAndLoad) {
  const std::string dir = FreshDir();
  absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> saved =
      SentencePieceTokenizer::FromSerializedModel(TrainModel(/*pad_id=*/0), "trained");
  ASSERT_TRUE(saved.ok()) << saved.status();
  std::vector<std::string> names;
  for (const auto& [name, contents] : TokenizerFiles(**saved)) names.push_back(name);
  EXPECT_THAT(names, UnorderedElementsAre("tokenizer.json", "tokenizer.model"));

  ASSERT_TRUE(SaveTokenizer(**saved, dir).ok());
  absl::StatusOr<std::unique_ptr<Tokenizer>> loaded = LoadTokenizer(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::string text = "what is 5 plus 7?";
  EXPECT_EQ(*(*loaded)->Encode(text), *(*saved)->Encode(text));
  EXPECT_EQ((*loaded)->vocab_size(), 300);
}

TEST(TokenizerIoTest, CharJsonWithoutCharsetMeansPrintableAscii) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      TokenizerFromJson(nlohmann::json{{"type", "char"}}, ".");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->ToJson(), CharTokenizer().ToJson());
}

TEST(TokenizerIoTest, ReportsBadDescriptionsAndMissingFiles) {
  EXPECT_THAT(TokenizerFromJson(nlohmann::json{{"type", "bpe"}}, ".").status().message(),
              HasSubstr("unknown tokenizer type 'bpe'"));
  EXPECT_THAT(TokenizerFromJson(nlohmann::json{{"type", 3}}, ".").status().message(),
              HasSubstr("key 'type' must be a string, got number"));

  const std::string dir = FreshDir();
  absl::StatusOr<std::unique_ptr<Tokenizer>> missing = LoadTokenizer(dir);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(dir + "/tokenizer.json"));

  const nlohmann::json sentencepiece = {{"type", "sentencepiece"}, {"model_file", "gone.model"}};
  absl::StatusOr<std::unique_ptr<Tokenizer>> no_model = TokenizerFromJson(sentencepiece, dir);
  EXPECT_EQ(no_model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_model.status().message(), HasSubstr(dir + "/gone.model"));
}

}  // namespace
}  // namespace fulcrum
