// The interface every synthetic, verifiable task implements. A task samples problems (with one
// correct and one plausible wrong answer, for SFT and preference data) and verifies a model's
// completion against the problem's ground truth. Implementations are pure and thread-compatible:
// all randomness comes from the caller's generator, so a seed reproduces a dataset.
#ifndef FULCRUM_TASKS_TASK_H_
#define FULCRUM_TASKS_TASK_H_

#include <random>
#include <string>
#include <string_view>

namespace fulcrum {

struct Problem {
  std::string prompt;        // What the model sees, ending where its answer begins.
  std::string response;      // One correct answer.
  std::string ground_truth;  // What Verify needs to judge any answer.
};

struct Verdict {
  bool correct = false;
  bool well_formed = false;  // The completion has the shape of an answer, right or wrong.
  std::string reason;        // Why the completion is wrong or malformed; empty when correct.
};

class Task {
 public:
  virtual ~Task() = default;

  virtual std::string_view name() const = 0;

  // Draws a problem; its response verifies as correct.
  virtual Problem Sample(std::mt19937_64& rng) const = 0;

  // A well-formed answer to `problem` (as returned by Sample) that verifies as incorrect, made
  // like a plausible mistake so preference pairs teach something.
  virtual std::string WrongResponse(const Problem& problem, std::mt19937_64& rng) const = 0;

  // Judges a completion (end-of-sequence token already removed) against a ground truth.
  virtual Verdict Verify(std::string_view completion, std::string_view ground_truth) const = 0;
};

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_TASK_H_
