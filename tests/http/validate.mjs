// tests/http/validate.mjs: the API's contract check. Validates every response the HTTP
// suites recorded (tests/http/contract.py: JSON lines of method, path, status, type, body,
// sent) against plugins/console/openapi.json with ajv (JSON Schema draft 2020-12, as OpenAPI
// 3.1 uses), one line per kind of response (method, route, status), and each JSON request
// body the server took (2xx) against its operation's requestBody. With --document it also
// checks the document itself: its operations against `kinflow serve --routes` (both ways,
// with each route's permission), and Redocly's linter. It starts no server and changes no file.
//
// Usage: node tests/http/validate.mjs [RECORD.jsonl...] [--document] [--doc OTHER.json]
// Prints "ok   NAME" / "FAIL NAME: why" (and a "note" of the documented answers no record
// holds), then "N passed, N failed".
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const argv = process.argv.slice(2);
const docAt = argv.indexOf('--doc');  // another document (the suite's check that the check bites)
const DOC_PATH = docAt >= 0 ? resolve(argv[docAt + 1]) : join(ROOT, 'plugins/console/openapi.json');
let passed = 0, failed = 0;
const ok = (name) => { passed++; console.log(`ok   ${name}`); };
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${String(why).replace(/\s+/g, ' ').slice(0, 600)}`); };
const done = () => { console.log(`${passed} passed, ${failed} failed`); process.exit(failed ? 1 : 0); };

const args = argv.filter((a, i) => !(docAt >= 0 && (i === docAt || i === docAt + 1)));
const records = args.filter((a) => !a.startsWith('--'));
let Ajv2020, addFormats;
try {
  Ajv2020 = (await import('ajv/dist/2020.js')).default;
  addFormats = (await import('ajv-formats')).default;
} catch (e) {
  fail('contract: ajv', `not installed in tests/http/node_modules (tests/http/packages.sh installs it): ${e.message}`);
  done();
}
const doc = JSON.parse(readFileSync(DOC_PATH, 'utf8'));

// ---- the schemas: components.schemas as one schema's $defs, every $ref pointed at them ----
const BASE = 'https://kinflow.invalid/openapi.json';
const retarget = (v) => {
  if (Array.isArray(v)) return v.map(retarget);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v))
      out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#/components/schemas/')
        ? `${BASE}#/$defs/${x.slice('#/components/schemas/'.length)}` : retarget(x);
    return out;
  }
  return v;
};
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: BASE, $defs: retarget(doc.components?.schemas ?? {}) });
const deref = (v) => {  // a components.responses $ref, followed
  const p = v?.$ref?.match(/^#\/components\/responses\/(.+)$/);
  return p ? doc.components.responses[p[1]] : v;
};
const compiled = new Map();
const validatorFor = (key, schema) => {
  if (!compiled.has(key)) compiled.set(key, ajv.compile(retarget(schema)));
  return compiled.get(key);
};

// ---- which documented route a path is: literal segments before {templates} ----
const routes = Object.keys(doc.paths).map((p) => {
  const segs = p.split('/').filter(Boolean);
  return { path: p, segs, templated: segs.filter((s) => s.startsWith('{')).length };
}).sort((a, b) => a.templated - b.templated);
const routeOf = (path) => {
  const segs = path.split('?')[0].split('/').filter(Boolean);
  return routes.find((r) => r.segs.length === segs.length &&
    r.segs.every((s, i) => s.startsWith('{') || s === segs[i]));
};

// ---- the responses ----
if (records.length) {
  const lines = records.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
  const kinds = new Map(); // kind -> {n, bad: [why]}
  let outside = 0;
  const note = (kind, why) => {
    if (!kinds.has(kind)) kinds.set(kind, { n: 0, bad: [] });
    const k = kinds.get(kind);
    k.n++;
    if (why) k.bad.push(why);
  };
  for (const line of lines) {
    const r = JSON.parse(line);
    const path = r.path.split('?')[0];
    if (path !== '/api' && !path.startsWith('/api/') && path !== '/metrics') { outside++; continue; } // the page's files
    const method = r.method === 'HEAD' ? 'get' : r.method.toLowerCase();
    const media = (r.type || '').split(';')[0].trim();
    const route = routeOf(path);
    let response, where;
    if (!route || !doc.paths[route.path][method]) {
      // not an operation: an Error, as the document's description says (401, 404 or 405)
      where = route ? `${r.method} ${route.path} (a method it does not have)` : `${r.method} (a path not in the API)`;
      const allowed = route ? [401, 405] : [401, 404];
      response = allowed.includes(r.status) ? deref({ $ref: '#/components/responses/Unauthorized' }) : null;
      where += ` ${r.status}`;
    } else {
      const op = doc.paths[route.path][method];
      where = `${r.method} ${route.path} ${r.status}`;
      response = deref(op.responses[String(r.status)] ?? op.responses[`${String(r.status)[0]}XX`] ?? op.responses.default);
    }
    const kind = `contract: ${where}`;
    // a request the server took (2xx) is one the document allows: its body, when it was JSON
    const op = route && doc.paths[route.path][method];
    const reqSchema = op?.requestBody?.content?.['application/json']?.schema;
    if (r.status >= 200 && r.status < 300 && reqSchema && r.sent != null && r.sent !== '') {
      const rkind = `contract: ${r.method} ${route.path} request body (accepted)`;
      let sent;
      try { sent = JSON.parse(r.sent); } catch { sent = undefined; }
      const rv = validatorFor(rkind, reqSchema);
      if (sent !== undefined && rv(sent)) note(rkind, null);
      else note(rkind, `${r.method} ${path} took a body the document does not allow: ${sent === undefined ? 'not JSON' : rv.errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')} in ${r.sent.slice(0, 200)}`);
    }
    if (!response) { note(kind, `status ${r.status} is not documented for ${r.method} ${path}`); continue; }
    if (!response.content) { // a documented answer without a body of the API's (libmicrohttpd's 431)
      note(kind, media ? `${r.method} ${path}: a '${r.type}' body where the document describes none` : null);
      continue;
    }
    const mt = response.content[media];
    if (!mt) { note(kind, `${r.method} ${path}: content type '${r.type}' is not documented (${Object.keys(response.content ?? {}).join(', ') || 'none'})`); continue; }
    if (r.method === 'HEAD') { note(kind, r.body === '' ? null : 'a HEAD answer has a body'); continue; }
    let body = r.body;
    if (media === 'application/json') {
      try { body = JSON.parse(r.body); } catch (e) { note(kind, `${r.method} ${path}: not JSON: ${e.message}`); continue; }
    }
    const v = validatorFor(`${kind} ${media}`, mt.schema ?? {});
    if (v(body)) note(kind, null);
    else note(kind, `${r.method} ${path}: ` + v.errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('; ') + ` in ${r.body.slice(0, 200)}`);
  }
  let valid = 0, total = 0, nkinds = 0, sent = 0;
  for (const [kind, k] of [...kinds].sort()) {
    const isRequest = kind.endsWith('request body (accepted)');
    if (isRequest) sent += k.n; else { total += k.n; nkinds++; }
    if (k.bad.length) fail(`${kind} (${k.bad.length} of ${k.n} ${isRequest ? 'requests' : 'responses'})`, k.bad[0]);
    else {
      if (!isRequest) valid += k.n;
      ok(`${kind} (${k.n} ${isRequest ? 'request' : 'response'}${k.n === 1 ? '' : 's'})`);
    }
  }
  const bad = total - valid;
  const summary = `contract: ${total} API responses of ${nkinds} kinds checked against plugins/console/openapi.json, ${valid} valid, ${bad} not (and ${sent} request bodies the server took; ${outside} answers of the page's files, outside the API)`;
  if (bad) fail(summary, 'see the FAIL lines above'); else ok(summary);
  // what the document allows that no test saw (a note, not a failure)
  const unseen = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const [m, op] of Object.entries(item))
      for (const st of Object.keys(op.responses ?? {}))
        if (!kinds.has(`contract: ${m.toUpperCase()} ${p} ${st}`)) unseen.push(`${m.toUpperCase()} ${p} ${st}`);
  const ok200 = unseen.filter((k) => k.endsWith(' 200'));
  const some = ok200.length > 8 ? `${ok200.slice(0, 8).join(', ')} and ${ok200.length - 8} more` : ok200.join(', ');
  console.log(`note contract: ${unseen.length} documented answers not seen here; successes among them: ${some || 'none'}`);
}

// ---- the document itself ----
if (args.includes('--document')) {
  const bin = process.env.KINFLOW_BIN || join(ROOT, 'kinflow');
  let table = '';
  try { table = execFileSync(bin, ['serve', '--routes'], { encoding: 'utf8' }); } catch (e) { fail('contract: kinflow serve --routes', e.message); }
  const served = new Map(table.split('\n').filter(Boolean).map((l) => {
    const [m, p, perm] = l.trim().split(/\s+/);
    return [`${m} ${p}`, perm];
  }));
  const documented = new Map();
  for (const [p, item] of Object.entries(doc.paths))
    for (const [m, op] of Object.entries(item))
      if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(m))
        documented.set(`${m.toUpperCase()} ${p}`, op['x-permission']);
  const missing = [...served.keys()].filter((k) => !documented.has(k));
  const extra = [...documented.keys()].filter((k) => !served.has(k));
  const wrong = [...served].filter(([k, perm]) => documented.has(k) && documented.get(k) !== perm)
    .map(([k, perm]) => `${k}: routes.c says ${perm}, the document ${documented.get(k)}`);
  if (served.size && !missing.length) ok(`contract: each of the ${served.size} routes of \`kinflow serve --routes\` is in the document`);
  else fail('contract: each route of `kinflow serve --routes` is in the document', `missing: ${missing.join(', ')}`);
  if (!extra.length) ok('contract: the document has no operation the route table lacks');
  else fail('contract: the document has no operation the route table lacks', extra.join(', '));
  if (!wrong.length) ok("contract: each operation's x-permission is its route's permission");
  else fail("contract: each operation's x-permission is its route's permission", wrong.join('; '));
  const ids = [...Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId))];
  // Redocly's linter (its recommended rules; tests/http/redocly.yaml)
  const redocly = join(HERE, 'node_modules/.bin/redocly');
  try {
    const out = execFileSync(redocly, ['lint', DOC_PATH, '--config', join(HERE, 'redocly.yaml'), '--format', 'stylish'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    });
    const warnings = out.match(/warning/gi)?.length ?? 0;
    if (warnings) fail('contract: the document passes `redocly lint` without warnings', out);
    else ok(`contract: the document passes \`redocly lint\` (${ids.length} operations)`);
  } catch (e) {
    fail('contract: the document passes `redocly lint`', `${e.stdout ?? ''}${e.stderr ?? ''}${e.stdout || e.stderr ? '' : e.message}`);
  }
}
done();
