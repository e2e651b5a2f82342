// The one place that maps between absl::Status and grpc::Status. Codes map one to one (both follow
// google.rpc.Code); a client that could not reach its server gets UNAVAILABLE with the address.
#ifndef FULCRUM_CORE_GRPC_STATUS_H_
#define FULCRUM_CORE_GRPC_STATUS_H_

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace fulcrum {

grpc::Status ToGrpcStatus(const absl::Status& status);

// `what` names the call and the peer, e.g. "Reward.Score at 127.0.0.1:5051".
absl::Status FromGrpcStatus(const grpc::Status& status, const std::string& what);

}  // namespace fulcrum

#endif  // FULCRUM_CORE_GRPC_STATUS_H_
