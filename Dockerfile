# syntax=docker/dockerfile:1
# prometheus-metrics-adapter: multi-stage build of a small, non-root image that runs on a read-only root filesystem.
# Build: docker build -t prometheus-metrics-adapter:0.1.0 .
# The Helm chart runs it as `/adapter /adapter --cert-dir=/tmp/cert ...`; the repeated `/adapter` is ignored.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Compiles TypeScript with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed apart so that no dev dependency can reach the final image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="prometheus-metrics-adapter" \
      org.opencontainers.image.description="Kubernetes custom metrics adapter for Prometheus: serves custom.metrics.k8s.io from prometheus-adapter rules" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
# NB: `exec` makes node PID 1 itself, so SIGTERM from the kubelet reaches the adapter's drain logic directly.
RUN printf '%s\n' '#!/bin/sh' 'exec node /app/dist/main.js "$@"' >/adapter \
    && chmod 0555 /adapter
# NB: numeric uid:gid, so that runAsNonRoot can verify it without a passwd entry; every file above stays
# root-owned and read-only to it. The only writes are the self-signed cert in --cert-dir (the chart: /tmp/cert).
USER 10001:10001
EXPOSE 6443
ENTRYPOINT ["/adapter"]
