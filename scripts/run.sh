#!/usr/bin/env bash
# Runs the gateway on http://127.0.0.1:8080/fhir.
# Without a configured database (ConnectionStrings__Fhir), it installs PostgreSQL with apt-get if needed
# and starts a local cluster under .data/pg in this repository, then applies migrations at start-up.
# Requests need a bearer token: unless told otherwise (Security__DevelopmentIssuer__Enabled=false), the
# local development issuer is trusted and `dotnet run -c Release --project src/FhirCoordGateway.Api -- token ...` mints one.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${ConnectionStrings__Fhir:-}" ]]; then
  export PG_LOCAL_DATA="${PG_LOCAL_DATA:-$PWD/.data/pg/data}"
  export PG_LOCAL_SOCKET="${PG_LOCAL_SOCKET:-/tmp/fhircoord-run-pg}"  # unix socket paths are short-limited
  export PG_LOCAL_PORT="${PG_LOCAL_PORT:-55432}"
  scripts/pg-local.sh install
  # As root the cluster runs as the postgres OS user, which must be able to reach the data folder.
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
    echo "run.sh: the postgres user cannot enter $PWD; keeping the database under /tmp/fhircoord-pg instead" >&2
    export PG_LOCAL_DATA=/tmp/fhircoord-pg/data
  fi
  scripts/pg-local.sh start
  export ConnectionStrings__Fhir="$(scripts/pg-local.sh url)"
fi

export Security__DevelopmentIssuer__Enabled="${Security__DevelopmentIssuer__Enabled:-true}"
if [[ "$Security__DevelopmentIssuer__Enabled" == "true" ]]; then
  echo "run.sh: get a token with: dotnet run -c Release --project src/FhirCoordGateway.Api -- token --scope \"system/*.cruds\"" >&2
  echo "run.sh: then: curl -H \"Authorization: Bearer \$TOKEN\" http://127.0.0.1:8080/fhir/Patient   (see README, Security)" >&2
fi

exec dotnet run --project src/FhirCoordGateway.Api -c Release -- --urls "${GATEWAY_URLS:-http://127.0.0.1:8080}" "$@"
