#include "core/health_check.h"

#include <vector>

#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace fulcrum {

absl::StatusOr<std::string> CallWithEmptyRequest(const std::shared_ptr<grpc::Channel>& channel,
                                                 const std::string& method, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // A default ByteBuffer is "no message"; an empty message needs one empty slice.
  grpc::Slice empty;
  const grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::DataLossError("unreadable response");
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  absl::StatusOr<std::string> answer = CallWithEmptyRequest(channel, "/grpc.health.v1.Health/Check", timeout);
  return answer.ok() ? *answer : "error: " + std::string(answer.status().message());
}

absl::Status CheckServing(const std::string& address, absl::Duration timeout) {
  const std::string answer =
      HealthCheck(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), timeout);
  if (answer == kServingResponse) return absl::OkStatus();
  if (answer.rfind("error: ", 0) == 0) {
    return absl::UnavailableError(absl::StrCat("health check of ", address, " failed: ", answer.substr(7)));
  }
  return absl::UnavailableError(absl::StrCat(address, " answers its health check with NOT_SERVING"));
}

}  // namespace fulcrum
