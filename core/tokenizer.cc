#include "core/tokenizer.h"

#include "core/status_macros.h"

namespace fulcrum {

absl::StatusOr<std::vector<int>> EncodePrompt(const Tokenizer& tokenizer, std::string_view prompt) {
  FULCRUM_ASSIGN_OR_RETURN(std::vector<int> ids, tokenizer.Encode(prompt));
  ids.insert(ids.begin(), tokenizer.bos_id());
  return ids;
}

}  // namespace fulcrum
