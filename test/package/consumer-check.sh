#!/usr/bin/env bash
# Installs the packed packages as a user would and checks what the installed copy does:
#   - the tarballs hold compiled JavaScript and declarations, no TypeScript sources, tests or tooling;
#   - `@aiflow-mqtt/client` alone installs no native module (no better-sqlite3, no esbuild, no .node file) and
#     bundles for a browser;
#   - with `aiflow-mqtt` installed, `npx aiflow server start` runs a real server, the installed CLI uploads a
#     workflow, and a program compiled by the consumer's strict tsc runs with plain node against that server.
# Usage: test/package/consumer-check.sh (from anywhere; needs the registry for the packages' dependencies).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/test/package/consumer"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/aiflow-consumer-XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "consumer-check: $*" >&2
  exit 1
}
step() { echo "consumer-check: $*" >&2; }
# The consumer is not this repository: none of its settings or the source condition may leak in.
unset NODE_OPTIONS AIFLOW_SERVER AIFLOW_PORT AIFLOW_HOST AIFLOW_HOME AIFLOW_NAMESPACE
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

step "build and pack"
(cd "$ROOT" && npm run build >/dev/null)
SERVER_TGZ="$WORK/$(cd "$ROOT" && npm pack --silent --pack-destination "$WORK")"
CLIENT_TGZ="$WORK/$(cd "$ROOT/client" && npm pack --silent --pack-destination "$WORK")"
for tgz in "$SERVER_TGZ" "$CLIENT_TGZ"; do
  extra="$(tar tzf "$tgz" | grep -E '\.ts$' | grep -vE '\.d\.ts$' || true)"
  [ -z "$extra" ] || fail "$(basename "$tgz") ships TypeScript sources: $extra"
  extra="$(tar tzf "$tgz" | grep -E '^package/(test|bench|\.ci|examples)/|eslint|tsconfig' || true)"
  [ -z "$extra" ] || fail "$(basename "$tgz") ships development files: $extra"
  step "$(basename "$tgz"): $(tar tzf "$tgz" | wc -l) files"
done

step "client package alone: no native module"
mkdir -p "$WORK/light"
cd "$WORK/light"
echo '{ "name": "light-consumer", "private": true, "type": "module" }' >package.json
npm install --silent "$CLIENT_TGZ"
native="$(find node_modules \( -name binding.gyp -o -name '*.node' \) -print)"
[ -z "$native" ] || fail "the client package installs native code: $native"
for heavy in better-sqlite3 esbuild @esbuild tsx aedes; do
  [ ! -e "node_modules/$heavy" ] || fail "the client package installs $heavy"
done
step "client package alone: $(find node_modules -maxdepth 2 -name package.json | wc -l) packages, $(du -sh node_modules | cut -f1)"
node --input-type=module -e "import('@aiflow-mqtt/client').then((m) => { if (!m.AIFlowNotificationClient) process.exit(1); })"
step "client package alone: browser bundle"
cp "$HERE/page.js" .
"$ROOT/node_modules/.bin/esbuild" page.js --bundle --platform=browser --format=esm --outfile=page.bundle.js \
  --log-level=warning

step "full package: install"
mkdir -p "$WORK/full"
cd "$WORK/full"
echo '{ "name": "consumer", "private": true, "type": "module" }' >package.json
cp "$HERE/app.ts" "$HERE/flow.ts" "$HERE/tsconfig.json" .
TS_VERSION="$(node -p "require('$ROOT/node_modules/typescript/package.json').version")"
TYPES_NODE_VERSION="$(node -p "require('$ROOT/node_modules/@types/node/package.json').version")"
npm install --silent "$SERVER_TGZ" "$CLIENT_TGZ" "typescript@$TS_VERSION" "@types/node@$TYPES_NODE_VERSION"

step "full package: strict tsc of the consumer"
npx tsc -p tsconfig.json

PORT="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
export AIFLOW_SERVER="mqtt://127.0.0.1:$PORT"
# The CLI and SDK log in with the admin credential the server writes in its home.
export AIFLOW_HOME="$WORK/home"
step "full package: aiflow server start --port $PORT --no-ws"
# The installed bin itself, not through npx: SERVER_PID is then the server, which the clean-up stops.
node_modules/.bin/aiflow server start --port "$PORT" --no-ws --home "$WORK/home" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  grep -q 'aiflow server listening' "$WORK/server.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited: $(cat "$WORK/server.log")"
  sleep 0.1
done
grep -q 'aiflow server listening' "$WORK/server.log" || fail "the server did not start: $(cat "$WORK/server.log")"

step "full package: installed CLI"
[ "$(npx aiflow --version)" = "$(node -p "require('$ROOT/package.json').version")" ] || fail "aiflow --version"
npx aiflow workflow upload flow.ts >/dev/null
npx aiflow event send hello world >/dev/null

step "full package: plain node runs the consumer's program"
node app.js "$AIFLOW_SERVER" || fail "the consumer's program failed; server log: $(cat "$WORK/server.log")"
step "ok"
