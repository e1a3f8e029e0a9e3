# Multi-stage build: compile TypeScript with dev dependencies, ship only dist/src and production modules.
# Node 24, the recommended line (active LTS; CI's second pass runs the suite on it, docs/testing.md), pinned
# to the release CI's `npm install node@24` resolved on 2026-12-07. Bump both stages together.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# `npm ci` runs `prepare` (no dist/ here: the build); bench/ is not copied, so the image carries no benchmark.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev && find dist -name '*.map' -delete

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Memory (docs/memory.md): at most two glibc malloc arenas (one per thread by default, each keeping freed
# memory); the live thread's young generation at 2 MB semi-spaces instead of 16 (idle RSS −7 MB, peak at
# 256 connections −10 to −21 MB). `npm run bench -- --memory` starts shadowgate with these same settings.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
COPY config ./config
# State, audit and recorded datasets are written under /app/data (mount a volume there to keep them).
RUN mkdir -p /app/data /etc/shadowgate && chown node:node /app/data
USER node
EXPOSE 8080 9090
# Liveness of the process: the admin API's /healthz (needs no token). Set SHADOWGATE_ADMIN_PORT when the
# configuration moves the admin port off 9090.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SHADOWGATE_ADMIN_PORT||9090)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=2", "--expose-gc", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/shadowgate/shadowgate.yaml"]
