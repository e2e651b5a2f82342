// The tests' names for core/health_check.h: the raw Health/Check answer with a 30 s deadline.
#ifndef FULCRUM_TESTS_HEALTH_CHECK_H_
#define FULCRUM_TESTS_HEALTH_CHECK_H_

#include <memory>
#include <string>

#include "core/health_check.h"

namespace fulcrum::testing {

using ::fulcrum::kServingResponse;

inline std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  return ::fulcrum::HealthCheck(channel, absl::Seconds(30));
}

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_HEALTH_CHECK_H_
