# Fulcrum's image: every binary and libfulcrum_sentencepiece.so in /opt/fulcrum/bin (on PATH), the
# shipped pipelines in /opt/fulcrum/configs, /work as the working directory (compose and k8s mount the
# shared work volume there). One image serves every role: the command picks it (compose.yaml, k8s/).
#
#   docker build -t fulcrum:latest .
#
# Both stages use scripts/setup.sh, the set-up `make` runs: the build stage with --build (build
# dependencies, only the binaries), the runtime stage with --runtime (only the libraries they load,
# OpenBLAS made the system BLAS).

FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN bash scripts/setup.sh --build

FROM debian:12
COPY scripts/setup.sh /tmp/fulcrum-setup/scripts/setup.sh
RUN bash /tmp/fulcrum-setup/scripts/setup.sh --runtime \
    && rm -rf /tmp/fulcrum-setup /var/lib/apt/lists/*
COPY --from=build /src/build/bin/fulcrum /src/build/bin/fulcrum-* /src/build/bin/libfulcrum_sentencepiece.so \
    /opt/fulcrum/bin/
COPY configs/ /opt/fulcrum/configs/
# A fixed uid, so that k8s/ can name it (runAsUser, fsGroup); /work belongs to it, so a fresh named
# volume mounted there is writable.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /work --shell /usr/sbin/nologin fulcrum \
    && mkdir -p /work && chown fulcrum:fulcrum /work
ENV PATH=/opt/fulcrum/bin:$PATH
WORKDIR /work
USER fulcrum
# learner stage API 50050; every gRPC server 50051; Prometheus /metrics 9400.
EXPOSE 50050 50051 9400
CMD ["fulcrum", "--help"]
