#include "reference_server/batch_policy.h"

#include <cstdint>

namespace fulcrum {

size_t RequestsInNextBatch(absl::Span<const int> queued_sizes, int max_batch_sequences) {
  if (queued_sizes.empty()) return 0;
  size_t taken = 1;
  int64_t total = queued_sizes[0];
  while (taken < queued_sizes.size() && total + queued_sizes[taken] <= max_batch_sequences) {
    total += queued_sizes[taken];
    ++taken;
  }
  return taken;
}

}  // namespace fulcrum
