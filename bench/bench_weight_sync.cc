// Weight sync throughput: a LearnerServer on a loopback TCP port serves one published version and a
// client fetches it as an actor does — every chunk into a WeightAssembler, then Finish (size,
// CRC-32, safetensors parse). Models: d256 L3 (~2.4M params, ~10 MB F32) and d512 L4 (~12.7M
// params, ~51 MB F32). Best of --repeats after one warm-up.
// Rows: {model, params, bytes, chunks, seconds, mb_per_s} with MB = 1e6 bytes.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/report.h"
#include "core/char_tokenizer.h"
#include "core/model_config.h"
#include "core/protocol.h"
#include "core/weight_chunks.h"
#include "fulcrum/v1/learner.grpc.pb.h"
#include "learner/learner_server.h"
#include "learner/learner_service.h"
#include "learner/rollout_coordinator.h"
#include "learner/weight_publisher.h"

ABSL_FLAG(std::string, out_dir, "build/bench", "Where weight_sync.json goes.");
ABSL_FLAG(int, repeats, 5, "Timed fetches per model; the best is reported.");

namespace fulcrum {
namespace {

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::cerr << "bench_weight_sync: " << what << ": " << status << "\n";
  std::exit(1);
}

// One full fetch of the newest version, as an actor does it; returns the bytes received.
int64_t FetchOnce(v1::Learner::Stub& stub, int64_t want_version) {
  v1::FetchWeightsRequest request;
  request.set_protocol_version(kProtocolVersion);
  request.set_have_version(-1);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(1)));
  auto reader = stub.FetchWeights(&context, request);
  WeightAssembler assembler;
  v1::WeightsChunk chunk;
  int64_t bytes = 0;
  while (reader->Read(&chunk)) {
    bytes += static_cast<int64_t>(chunk.data().size());
    if (absl::Status status = assembler.Add(chunk); !status.ok()) Die("assembling", status);
  }
  if (grpc::Status status = reader->Finish(); !status.ok()) {
    Die("FetchWeights", absl::UnknownError(status.error_message()));
  }
  absl::StatusOr<WeightAssembler::Assembled> assembled = assembler.Finish();
  if (!assembled.ok()) Die("finishing", assembled.status());
  if (assembled->version != want_version) Die("fetching", absl::InternalError("wrong version"));
  return bytes;
}

int Run() {
  const CharTokenizer tokenizer;

  RolloutCoordinator::Options coordinator_options;
  coordinator_options.sampling.set_max_new_tokens(1);
  auto coordinator = RolloutCoordinator::Create(coordinator_options, {{"1+1=", "2"}}, {});
  if (!coordinator.ok()) Die("coordinator", coordinator.status());
  WeightPublisher publisher;
  auto server = LearnerServer::Create(LearnerServer::Options(), coordinator->get(), &publisher);
  if (!server.ok()) Die("server", server.status());

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(4 << 20);  // A chunk is at most 1 MiB plus its header.
  auto stub = v1::Learner::NewStub(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                                            grpc::InsecureChannelCredentials(), args));

  struct Shape {
    int n_layer, d_model;
  };
  BenchReport report("weight_sync", absl::GetFlag(FLAGS_out_dir));
  int64_t version = 0;
  for (const Shape& s : {Shape{3, 256}, Shape{4, 512}}) {
    v1::ModelConfig config;
    config.set_n_layer(s.n_layer);
    config.set_n_head(s.d_model / 64);
    config.set_d_model(s.d_model);
    config.set_max_seq_len(256);
    config = ResolveModelConfig(config, tokenizer.vocab_size()).value();
    Gpt model(config);
    if (absl::Status status = publisher.Publish(version, model, tokenizer); !status.ok()) Die("publish", status);
    const std::shared_ptr<const SerializedWeights> weights = publisher.Latest();

    FetchOnce(*stub, version);  // warm-up
    double best = 1e30;
    for (int i = 0; i < absl::GetFlag(FLAGS_repeats); ++i) {
      const auto start = std::chrono::steady_clock::now();
      const int64_t bytes = FetchOnce(*stub, version);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (bytes != static_cast<int64_t>(weights->bytes.size())) Die("fetch", absl::DataLossError("short"));
      best = std::min(best, seconds);
    }
    const double bytes = static_cast<double>(weights->bytes.size());
    report.Add({{"model", absl::StrCat("d", s.d_model, "_L", s.n_layer)},
                {"params", CountParameters(config)},
                {"bytes", weights->bytes.size()},
                {"chunks", ChunkCount(*weights)},
                {"seconds", best},
                {"mb_per_s", bytes / 1e6 / best}});
    ++version;
  }
  (*server)->Shutdown();
  return report.Write() ? 0 : 1;
}

}  // namespace
}  // namespace fulcrum

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return fulcrum::Run();
}
