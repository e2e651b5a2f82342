// Latency of every gRPC call, per method and status code, as the histogram
// fulcrum_<role>_rpc_seconds{method, code}: gRPC interceptors, so no handler times itself.
//   server: builder.experimental().SetInterceptorCreators(RpcMetricsInterceptors("reward"));
//   client: InstrumentedChannel("actor", address) for a stub's channel.
#ifndef FULCRUM_CORE_RPC_METRICS_H_
#define FULCRUM_CORE_RPC_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/server_interceptor.h>

namespace fulcrum {

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> RpcMetricsInterceptors(
    const std::string& role);

// An insecure channel to `address` whose calls are timed as fulcrum_<role>_rpc_seconds.
std::shared_ptr<grpc::Channel> InstrumentedChannel(const std::string& role, const std::string& address,
                                                   const grpc::ChannelArguments& arguments = {});

}  // namespace fulcrum

#endif  // FULCRUM_CORE_RPC_METRICS_H_
