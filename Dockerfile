# syntax=docker/dockerfile:1
# SimpleVideo's container image: docs/deploying.md. Both stages run deploy/image/build.sh's steps and nothing else
# of ours, so CI's test of that script on a clean copy of the build context (test/deploy/production.test.ts) is a
# test of this image's contents.
#   docker build -t simplevideo .
#   docker run --env-file simplevideo.env -p 127.0.0.1:3000:3000 simplevideo
ARG NODE_VERSION=22

# Build stage: npm ci, npm run build, then the runtime files and production dependencies gathered in /app.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN bash deploy/image/build.sh /src /app

# Runtime stage: Node, ffmpeg (a first-frame thumbnail for Kling's videos, which come without one) and /app.
FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
# The node image's unprivileged user (uid 1000) owns DATA_DIR and nothing else; the code is root's, read-only to it.
RUN install -d -o node -g node -m 0700 /data
COPY --from=build /app /app
WORKDIR /app
USER node
VOLUME ["/data"]
EXPOSE 3000
# Exits 0 when /healthz answers 200 (the database answers); a ROLE=worker container serves no HTTP and always passes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/image/healthcheck.mjs"]
# main.js handles SIGTERM itself (streams ended, the job pass finished, connections closed, exit 0).
CMD ["node", "dist/src/main.js"]
