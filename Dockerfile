# syntax=docker/dockerfile:1
# Petrel's image: petrel-controller (the entrypoint) and the petrel CLI.
#   docker build -t ghcr.io/petrel-dev/petrel:dev .        (or: make image)
# Stage 1 builds release binaries with the Swift runtime linked statically, so the runtime image needs only the
# Debian libraries they link (libgit2 1.5 and its dependencies, libstdc++, zlib).
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libgit2-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies first so that source edits keep this layer cached.
COPY Package.swift ./
RUN swift package resolve
COPY . .
# scripts/build-release.sh: static Swift runtime, lld, packed relocations, functions in the order of
# scripts/petrel-controller.order (less resident code).
RUN bash scripts/build-release.sh petrel-controller petrel \
    && mkdir -p /out \
    && cp "$(swift build -c release --show-bin-path)/petrel-controller" "$(swift build -c release --show-bin-path)/petrel" /out/ \
    && strip /out/petrel-controller /out/petrel

FROM ${RUNTIME_IMAGE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libgit2-1.5 libstdc++6 zlib1g ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 petrel \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin petrel \
    && mkdir -p /data && chown 65532:65532 /data
COPY --from=build /out/petrel-controller /out/petrel /usr/local/bin/
# kubectl plugin name: `kubectl petrel …` works when this is on the PATH.
RUN ln -s /usr/local/bin/petrel /usr/local/bin/kubectl-petrel
LABEL org.opencontainers.image.title="petrel" \
      org.opencontainers.image.description="Petrel GitOps operator: petrel-controller and the petrel CLI" \
      org.opencontainers.image.source="https://github.com/petrel-dev/petrel"
USER 65532:65532
WORKDIR /data
VOLUME ["/data", "/tmp"]
EXPOSE 9090 8080 9440
ENTRYPOINT ["/usr/local/bin/petrel-controller"]
