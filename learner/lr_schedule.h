// Learning rate at a step: linear warmup, then cosine decay to min_lr_ratio * lr at the last step.
#ifndef FULCRUM_LEARNER_LR_SCHEDULE_H_
#define FULCRUM_LEARNER_LR_SCHEDULE_H_

#include "fulcrum/v1/config.pb.h"

namespace fulcrum {

// `step` counts from 0; total_steps is the length of the run.
double LearningRate(const v1::OptimizerConfig& config, int step, int total_steps);

}  // namespace fulcrum

#endif  // FULCRUM_LEARNER_LR_SCHEDULE_H_
