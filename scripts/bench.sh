#!/usr/bin/env bash
# HTTP benchmark of the gateway, side by side with raw Npgsql INSERT/SELECT (issue 2, item 11).
#
#   scripts/bench.sh [driver options]      e.g. scripts/bench.sh --clients 16 --duration 30
#
# Starts a throwaway PostgreSQL cluster (under $BENCH_DIR, default /tmp/fc-bench, port $BENCH_PG_PORT,
# default 55460), builds the gateway and the driver in Release, starts the gateway on a free loopback port,
# waits for /health/ready, runs tests/FhirCoordGateway.Benchmarks, then stops the gateway and deletes the
# cluster. The Markdown table goes to stdout (and $BENCH_DIR/result.md); progress and logs to stderr and
# $BENCH_DIR/gateway.log. Driver options: see `dotnet run --project tests/FhirCoordGateway.Benchmarks -- --help`.
# Everything listens on and talks to 127.0.0.1 only. Variables of the gateway's environment (for instance
# Serilog__MinimumLevel__Default=Warning) pass through to it; BENCH_GATEWAY_CONN_OPTIONS (e.g.
# "No Reset On Close=true") is appended to the gateway's connection string only, for experiments.
# BENCH_REF=<commit> (e.g. HEAD) benchmarks that commit of the gateway instead of the work tree: it is
# exported with git archive under $BENCH_DIR/src and built there, with this driver copied beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/fc-bench}
export PG_LOCAL_DATA="$BENCH_DIR/data"
export PG_LOCAL_SOCKET="$BENCH_DIR"
export PG_LOCAL_PORT="${BENCH_PG_PORT:-55460}"
export PG_LOCAL_DB=fhircoord_bench

log() { echo "[bench.sh $(date -u +%H:%M:%S)] $*" >&2; }

gateway_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$gateway_pid" ]] && kill -0 "$gateway_pid" 2>/dev/null; then
    kill "$gateway_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$gateway_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$gateway_pid" 2>/dev/null || true
  fi
  if [[ -z "${BENCH_KEEP_DB:-}" ]]; then
    scripts/pg-local.sh destroy >&2 || true
  else
    scripts/pg-local.sh stop >&2 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && [[ -z "${PGBIN:-}" ]]; then
  scripts/pg-local.sh install >&2
fi
mkdir -p "$BENCH_DIR"
scripts/pg-local.sh destroy >&2 || true   # a fresh database for every run
for attempt in 1 2 3; do   # the port may still be held for a moment by a cluster that just stopped
  if scripts/pg-local.sh start >&2; then break; fi
  [[ $attempt -eq 3 ]] && { log "PostgreSQL did not start on port $PG_LOCAL_PORT; set BENCH_PG_PORT"; exit 1; }
  sleep 5
done
conn="$(scripts/pg-local.sh url)"
postmaster_pid="$(head -n1 "$PG_LOCAL_DATA/postmaster.pid")"

root="$PWD"
rev="$(git rev-parse --short "${BENCH_REF:-HEAD}")"
if [[ -z "${BENCH_REF:-}" && -n "$(git status --porcelain -- src)" ]]; then rev="$rev + uncommitted changes in src/"; fi
if [[ -n "${BENCH_REF:-}" ]]; then
  root="$BENCH_DIR/src"
  log "exporting $BENCH_REF ($rev) to $root"
  rm -rf "$root" && mkdir -p "$root"
  git archive "$rev" | tar -x -C "$root"
  rm -rf "$root/tests/FhirCoordGateway.Benchmarks"
  mkdir -p "$root/tests/FhirCoordGateway.Benchmarks"
  (cd tests/FhirCoordGateway.Benchmarks && tar -c --exclude=./bin --exclude=./obj .) | tar -x -C "$root/tests/FhirCoordGateway.Benchmarks"
fi
log "building the gateway and the driver (Release) in $root"
dotnet build "$root/src/FhirCoordGateway.Api" -c Release -nologo -v quiet >&2
dotnet build "$root/tests/FhirCoordGateway.Benchmarks" -c Release -nologo -v quiet >&2

port=""
for candidate in $(shuf -i 20000-29999 -n 50); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[[ -n "$port" ]] || { log "no free port found"; exit 1; }
base="http://127.0.0.1:$port"

gateway_bin="$root/src/FhirCoordGateway.Api/bin/Release/net10.0"
log "starting the gateway on $base (log: $BENCH_DIR/gateway.log)"
ConnectionStrings__Fhir="$conn${BENCH_GATEWAY_CONN_OPTIONS:+;$BENCH_GATEWAY_CONN_OPTIONS}" ASPNETCORE_ENVIRONMENT=Production \
  dotnet "$gateway_bin/FhirCoordGateway.dll" --contentRoot "$gateway_bin" --urls "$base" >"$BENCH_DIR/gateway.log" 2>&1 &
gateway_pid=$!

for i in $(seq 1 240); do
  if curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null; then break; fi
  if ! kill -0 "$gateway_pid" 2>/dev/null; then log "the gateway exited; see $BENCH_DIR/gateway.log"; tail -n 20 "$BENCH_DIR/gateway.log" >&2; exit 1; fi
  [[ $i -eq 240 ]] && { log "the gateway was not ready after 120 s"; exit 1; }
  sleep 0.5
done
log "gateway ready (pid $gateway_pid); postmaster pid $postmaster_pid; $(nproc) CPU(s)"

{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') · gateway $rev · $(nproc) CPU(s), $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(free -g | awk '/^Mem:/ {print $2 " GiB RAM"}') · PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/postgres" --version | awk '{print $3}') (fsync=off, synchronous_commit=off)"
  echo
} | tee "$BENCH_DIR/result.md"
set +e
dotnet "$root/tests/FhirCoordGateway.Benchmarks/bin/Release/net10.0/FhirCoordGateway.Benchmarks.dll" \
  --base-url "$base" --conn "$conn" --gateway-pid "$gateway_pid" --pg-pid "$postmaster_pid" "$@" | tee -a "$BENCH_DIR/result.md"
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
