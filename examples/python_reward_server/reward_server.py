#!/usr/bin/python3
"""A Fulcrum Reward server in Python: any process that implements fulcrum.v1.Reward can score an RL
stage. This one rewards an exact match of the completion (whitespace trimmed) with the ground truth.

    /usr/bin/python3 examples/python_reward_server/reward_server.py --port=50052

It prints "python reward server listening on <host>:<port>" once it serves, then point the actors at
that address (fulcrum-actor --reward=...). Needs Debian's python3-grpcio and python3-grpc-tools; the
Python stubs are generated from proto/fulcrum/v1/reward.proto at start.
"""
import argparse
import os
import signal
import sys
import tempfile
import threading
from concurrent import futures

import grpc
from grpc_tools import protoc

PROTOCOL_VERSION = 1
PROTO_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def load_stubs():
    """Generates reward_pb2 / reward_pb2_grpc from the .proto into a temporary folder and imports them."""
    out = tempfile.mkdtemp(prefix="fulcrum_reward_stubs_")
    status = protoc.main(["protoc", "-I" + PROTO_ROOT, "--python_out=" + out, "--grpc_python_out=" + out,
                          os.path.join(PROTO_ROOT, "fulcrum", "v1", "reward.proto")])
    if status != 0:
        sys.exit(f"python reward server: could not compile {PROTO_ROOT}/fulcrum/v1/reward.proto")
    for package in ("fulcrum", os.path.join("fulcrum", "v1")):
        open(os.path.join(out, package, "__init__.py"), "a").close()
    sys.path.insert(0, out)
    from fulcrum.v1 import reward_pb2, reward_pb2_grpc  # pylint: disable=import-outside-toplevel
    return reward_pb2, reward_pb2_grpc


reward_pb2, reward_pb2_grpc = load_stubs()


def score(item):
    """One ScoreResult. No ground truth means no reward: missing, never a 0."""
    if not item.ground_truth:
        return reward_pb2.ScoreResult(missing=True, reason="no ground_truth to compare with")
    correct = item.completion.strip() == item.ground_truth.strip()
    return reward_pb2.ScoreResult(reward=1.0 if correct else 0.0, components={"exact_match": 1.0 if correct else 0.0},
                                  reason="" if correct else "not the ground truth")


class ExactMatchReward(reward_pb2_grpc.RewardServicer):
    def Score(self, request, context):
        if request.protocol_version != PROTOCOL_VERSION:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                          f"request protocol_version is {request.protocol_version} but this server speaks "
                          f"protocol_version {PROTOCOL_VERSION}")
        return reward_pb2.ScoreResponse(results=[score(item) for item in request.items])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    args = parser.parse_args()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    reward_pb2_grpc.add_RewardServicer_to_server(ExactMatchReward(), server)
    # grpc.health.v1.Health/Check, which `fulcrum` and Kubernetes probes ask before relying on a server:
    # raw bytes (Debian has no grpc_health module); HealthCheckResponse{status: SERVING} is 08 01.
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(lambda request, context: b"\x08\x01")})])
    port = server.add_insecure_port(f"{args.host}:{args.port}")
    if port == 0:
        sys.exit(f"python reward server: cannot listen on {args.host}:{args.port} (in use?)")
    server.start()
    print(f"python reward server listening on {args.host}:{port}", flush=True)
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()


if __name__ == "__main__":
    main()
