# syntax=docker/dockerfile:1
# tollgate container image: build with Debian bookworm's toolchain and -dev packages,
# run on bookworm-slim with only the runtime libraries, as a non-root user.
#
#   docker build -t tollgate:0.1.0 --build-arg VERSION=0.1.0 \
#     --build-arg REVISION=$(git rev-parse HEAD) .
#
# The base is pinned to a dated tag (the Debian snapshot the project builds
# against); when publishing, pin it by digest too (debian:<tag>@sha256:...).
ARG DEBIAN_IMAGE=debian:bookworm-20250520-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake make gcc libc6-dev pkg-config \
      libmicrohttpd-dev libgnutls28-dev libjansson-dev libyaml-dev libssl-dev \
      libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build needs (see .dockerignore): no certificates, no test data.
COPY CMakeLists.txt ./
COPY webhook/ webhook/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTOLLGATE_TESTS=OFF \
 && cmake --build build --target tollgate -j"$(nproc)" \
 && strip build/tollgate \
 && build/tollgate version

FROM ${DEBIAN_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
# Runtime libraries of the binary (each one it links directly), CA
# certificates for registry lookups, and curl for the HEALTHCHECK (tollgate
# has no probe subcommand).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libgnutls30 libjansson4 libyaml-0-2 libssl3 libcurl4 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/tollgate /usr/local/bin/tollgate
COPY policies/default.yaml /etc/tollgate/policy/default.yaml

# The flags' environment equivalents, matching the Helm chart's mounts.
ENV TOLLGATE_LISTEN=0.0.0.0:8443 \
    TOLLGATE_TLS_CERT=/certs/tls.crt \
    TOLLGATE_TLS_KEY=/certs/tls.key \
    TOLLGATE_POLICY=/etc/tollgate/policy \
    TOLLGATE_METRICS_LISTEN=0.0.0.0:9090 \
    TOLLGATE_LOG_LEVEL=info
# Numeric, so Kubernetes can verify runAsNonRoot without an /etc/passwd entry.
USER 65532:65532
EXPOSE 8443 9090
# Kubernetes ignores HEALTHCHECK and uses the chart's probes; this serves plain
# docker runs. /healthz is on the metrics port (TOLLGATE_METRICS_LISTEN).
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/tollgate"]
CMD ["serve"]

LABEL org.opencontainers.image.title="tollgate" \
      org.opencontainers.image.description="Kubernetes admission webhook: non-root, pinned images, probes, allowed registries" \
      org.opencontainers.image.source="https://github.com/tollgate-dev/tollgate" \
      org.opencontainers.image.url="https://github.com/tollgate-dev/tollgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-20250520-slim"
