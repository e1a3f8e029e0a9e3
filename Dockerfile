# Multi-stage build: compile TypeScript with dev dependencies, ship only dist/ and production modules.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
# State, audit and recorded datasets are written under /app/data (mount a volume there to keep them).
RUN mkdir -p /app/data /etc/shadowgate && chown node:node /app/data
USER node
EXPOSE 8080 9090
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/shadowgate/shadowgate.yaml"]
