# syntax=docker/dockerfile:1
#
# One image for every service of the testbed (docker-compose.yml runs it once per service with the
# service's command: hss-sim, xcap-server, ap, presence-server).
#
#   build    npm ci with the dev dependencies, npm run build (every package's dist/), then the dev
#            dependencies pruned and what the runtime needs gathered in /out
#   runtime  /out on a clean image of the same Node release and Debian (glibc, architecture), because
#            better-sqlite3 is a native module compiled (or fetched prebuilt) for the build stage's
#            platform at install time: a musl (alpine) or other-release runtime could not load it.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# python3, make and g++: node-gyp builds better-sqlite3 when no prebuilt binary can be fetched; the node
# image's own headers (/usr/local/include/node) spare node-gyp a download.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local \
    TURBO_TELEMETRY_DISABLED=1 \
    CI=true
WORKDIR /app
# the npm release the repository names (packageManager), which made the lockfile; the image comes with npm 10
COPY package.json package-lock.json ./
RUN npm install -g --no-audit --no-fund "$(node -p "require('./package.json').packageManager")"
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund
# The runtime tree: the root manifest and node_modules (workspace packages are symlinks into it), and of
# each workspace its package.json and what its "files" field lists (dist, bin, and the XCAP server's
# schemas and workers): what npm would publish, without src/ and test/.
RUN node <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const copy = (p) => fs.cpSync(p, path.join('/out', p), { recursive: true, verbatimSymlinks: true });
['package.json', 'package-lock.json', 'node_modules'].forEach(copy);
for (const w of JSON.parse(execFileSync('npm', ['query', '.workspace'], { encoding: 'utf8' }))) {
  copy(path.join(w.location, 'package.json'));
  for (const f of w.files ?? []) if (fs.existsSync(path.join(w.location, f))) copy(path.join(w.location, f));
}
EOF

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
# mount points of the compose volumes (databases, the scaled APs' certificate): a new named volume takes
# the owner of the directory it is mounted on, so the services can write there as the node user
RUN mkdir -p /data /certs && chown node:node /data /certs
COPY --from=build /out/ /app/
USER node
# HSS Diameter, XCAP server, AP HTTPS, presence SIP, admin (health, metrics)
EXPOSE 3868 8081 8443 5060/udp 5060/tcp 9090
CMD ["testbed", "--help"]
