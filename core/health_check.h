// Asks a server's standard grpc.health.v1.Health service whether it serves. The health protos are
// not installed, so the call is raw: an empty HealthCheckRequest (service "") encodes to no bytes,
// and HealthCheckResponse{status: SERVING} to field 1 varint 1.
#ifndef FULCRUM_CORE_HEALTH_CHECK_H_
#define FULCRUM_CORE_HEALTH_CHECK_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fulcrum {

inline constexpr char kServingResponse[] = "\x08\x01";

// Calls `method` ("/package.Service/Method") with an empty request message: the raw response
// bytes, or the call's gRPC status (its code and message).
absl::StatusOr<std::string> CallWithEmptyRequest(const std::shared_ptr<grpc::Channel>& channel,
                                                 const std::string& method, absl::Duration timeout);

// The raw response bytes of Health/Check, or the call's error message prefixed with "error: ".
std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout);

// OK once the server at `address` answers SERVING; otherwise an error naming the address.
absl::Status CheckServing(const std::string& address, absl::Duration timeout);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_HEALTH_CHECK_H_
