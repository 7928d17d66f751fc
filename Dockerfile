# syntax=docker/dockerfile:1
# railway-deploy: a static musl binary on `scratch`, plus the CA bundle rustls needs. No shell.
# Release images are built by .github/workflows/release.yml for linux/amd64 and linux/arm64.

FROM rust:1.95-slim-bookworm AS build
ARG TARGETARCH
# musl-tools: ring compiles a little C/assembly; the musl target gives a fully static binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The image reference a rollback command names (release.yml passes `ghcr.io/<owner>/<repo>:<tag>`);
# empty for a source build, where the binary falls back (see src/config/runtime.rs).
ARG RAILWAY_DEPLOY_IMAGE=""
# scratch has no /tmp: give the final stage one (mode 1777) for the upload's spool file.
RUN mkdir -p /rootfs/tmp && chmod 1777 /rootfs/tmp
WORKDIR /src
COPY . .
RUN case "${TARGETARCH:-amd64}" in \
      amd64) echo x86_64-unknown-linux-musl > /target ;; \
      arm64) echo aarch64-unknown-linux-musl > /target ;; \
      *) echo "unsupported architecture ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && rustup target add "$(cat /target)" \
 && cargo build --release --locked --target "$(cat /target)" -p railway-deploy --bin railway-deploy \
 && cp "target/$(cat /target)/release/railway-deploy" /railway-deploy

FROM scratch
# GHCR links the package to its repository through this label (release.yml passes SOURCE_URL).
ARG SOURCE_URL=""
LABEL org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.description="Gate, deploy, migrate, health-check, roll back and report Railway deployments from GitHub Actions" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /railway-deploy /railway-deploy
# /rootfs holds only tmp/ (1777): copying the directory entry itself keeps its mode.
COPY --from=build /rootfs/ /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt TMPDIR=/tmp
ENTRYPOINT ["/railway-deploy"]
