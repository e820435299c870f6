#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL: installs the server with apt-get if absent,
# starts a throwaway cluster, gives the run a fresh database, runs every test project and ends with
# the line "N passed, N failed" (", N skipped" if any) computed from the test results.
set -euo pipefail
cd "$(dirname "$0")/.."

export PG_LOCAL_DATA="${PG_LOCAL_DATA:-/tmp/fhircoord-test-pg/data}"
export PG_LOCAL_SOCKET="${PG_LOCAL_SOCKET:-/tmp/fhircoord-test-pg}"
export PG_LOCAL_PORT="${PG_LOCAL_PORT:-55433}"
export PG_LOCAL_DB="${PG_LOCAL_DB:-fhircoord_test}"
scripts/pg-local.sh install
# The secure-messaging tests run Debian's aiosmtpd (under Debian's python3) and Dovecot as their mail servers.
{ /usr/bin/python3 -c 'import aiosmtpd' && [[ -x /usr/sbin/dovecot ]]; } 2>/dev/null || { apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-aiosmtpd dovecot-imapd >/dev/null; }
scripts/pg-local.sh start
psql -X -q -h 127.0.0.1 -p "$PG_LOCAL_PORT" -U postgres -d postgres \
  -c "DROP DATABASE IF EXISTS \"$PG_LOCAL_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$PG_LOCAL_DB\""
export FHIRCOORD_TEST_PG="$(scripts/pg-local.sh url)"

results="$(mktemp -d)"
set +e
dotnet test FhirCoordGateway.sln -c Release --logger "trx" --results-directory "$results" "$@"
status=$?
set -e

# Sum the counters of every test project's TRX file.
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "=");  gsub(/"|\/|>/, "", kv[2]);
        if (kv[1] == "passed") p += kv[2]; if (kv[1] == "failed") f += kv[2]; if (kv[1] == "notExecuted") s += kv[2] } }
    END { print p + 0, f + 0, s + 0 }')
if [[ "$passed" -eq 0 && "$status" -eq 0 ]]; then status=1; echo "No test ran." >&2; fi
if [[ "$skipped" -gt 0 ]]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
