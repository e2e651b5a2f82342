// Tiny model configurations shared by the tests.
#ifndef FULCRUM_TESTS_CORE_TEST_MODELS_H_
#define FULCRUM_TESTS_CORE_TEST_MODELS_H_

#include "core/gpt.h"
#include "core/model_config.h"

namespace fulcrum::testing {

inline v1::ModelConfig TinyConfig(int vocab = 32, uint64_t seed = 7) {
  v1::ModelConfig config;
  config.set_n_layer(2);
  config.set_n_head(2);
  config.set_d_model(32);
  config.set_max_seq_len(64);
  config.set_init_seed(seed);
  return ResolveModelConfig(config, vocab).value();
}

inline Gpt TinyGpt(int vocab = 32, uint64_t seed = 7) {
  Gpt model(TinyConfig(vocab, seed));
  model->eval();
  return model;
}

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_CORE_TEST_MODELS_H_
