// Builds a Task from its config: the one place that maps task names to implementations and
// applies defaults, so the data generator, reward server and evaluators agree on what
// "addition" means.
#ifndef FULCRUM_TASKS_REGISTRY_H_
#define FULCRUM_TASKS_REGISTRY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "fulcrum/v1/config.pb.h"
#include "tasks/task.h"

namespace fulcrum {

// Names: "addition", "multiplication", "countdown". A zero field takes the task's default:
// addition digits 3..3 (three-digit addition), multiplication digits 1..2 (a lone bound outside
// the default range pulls the other with it), countdown 3 numbers up to 20. Fields that do not
// apply to the named task must stay zero. Errors are INVALID_ARGUMENT naming the field, e.g.
// "task.max_digits must be in [1, 9], got 12".
absl::StatusOr<std::unique_ptr<Task>> MakeTask(const fulcrum::v1::TaskConfig& config);

}  // namespace fulcrum

#endif  // FULCRUM_TASKS_REGISTRY_H_
