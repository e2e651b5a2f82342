// Asks a server's standard grpc.health.v1.Health service whether it serves. The health protos are
// not installed, so the call is raw: an empty HealthCheckRequest (service "") encodes to no bytes,
// and HealthCheckResponse{status: SERVING} to field 1 varint 1.
#ifndef FULCRUM_TESTS_HEALTH_CHECK_H_
#define FULCRUM_TESTS_HEALTH_CHECK_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"

namespace fulcrum::testing {

inline constexpr char kServingResponse[] = "\x08\x01";

// The raw response bytes of Health/Check, or the call's error message prefixed with "error: ".
inline std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  // A default ByteBuffer is "no message"; an empty message needs one empty slice.
  grpc::Slice empty;
  const grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return "error: " + status.error_message();
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "error: unreadable response";
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

}  // namespace fulcrum::testing

#endif  // FULCRUM_TESTS_HEALTH_CHECK_H_
