#include "core/rpc_metrics.h"

#include <string>
#include <utility>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/interceptor.h>
#include <prometheus/family.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/metrics.h"

namespace fulcrum {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/fulcrum.v1.Reward/Score" -> "fulcrum.v1.Reward/Score".
std::string MethodLabel(const char* method) {
  std::string name = method == nullptr ? "unknown" : method;
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  return name;
}

// Observes one call's seconds into family{method, code} once its status is known.
class CallTimer : public grpc::experimental::Interceptor {
 public:
  CallTimer(prometheus::Family<prometheus::Histogram>* family, std::string method, bool server)
      : family_(family), method_(std::move(method)), server_(server) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (server_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Observe(methods->GetSendStatus().error_code());
    }
    if (!server_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      Observe(methods->GetRecvStatus()->error_code());
    }
    methods->Proceed();
  }

 private:
  void Observe(grpc::StatusCode code) {
    family_->Add({{"method", method_}, {"code", absl::StrCat(static_cast<int>(code))}}, SecondsBuckets())
        .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
  }

  prometheus::Family<prometheus::Histogram>* family_;
  const std::string method_;
  const bool server_;
  const absl::Time start_ = absl::Now();
};

prometheus::Family<prometheus::Histogram>* RpcFamily(const std::string& role, const std::string& side) {
  return &prometheus::BuildHistogram()
              .Name(absl::StrCat("fulcrum_", role, "_rpc_seconds"))
              .Help(absl::StrCat("Seconds per gRPC call ", side, ", by method and status code."))
              .Register(*MetricsRegistry());
}

class ServerFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerFactory(const std::string& role) : family_(RpcFamily(role, "served")) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new CallTimer(family_, MethodLabel(info->method()), /*server=*/true);
  }

 private:
  prometheus::Family<prometheus::Histogram>* family_;
};

class ClientFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ClientFactory(const std::string& role) : family_(RpcFamily(role, "made")) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo* info) override {
    return new CallTimer(family_, MethodLabel(info->method()), /*server=*/false);
  }

 private:
  prometheus::Family<prometheus::Histogram>* family_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> RpcMetricsInterceptors(
    const std::string& role) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<ServerFactory>(role));
  return creators;
}

std::shared_ptr<grpc::Channel> InstrumentedChannel(const std::string& role, const std::string& address,
                                                   const grpc::ChannelArguments& arguments) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<ClientFactory>(role));
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, grpc::InsecureChannelCredentials(),
                                                                 arguments, std::move(creators));
}

}  // namespace fulcrum
