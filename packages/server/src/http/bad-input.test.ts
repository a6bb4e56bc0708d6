import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createHmac } from 'node:crypto';
import { ADMIN_TOKEN, client, factories, forEachDialect, TEST_STRIPE_WEBHOOK_SECRET, useTestApp, type Client, type TestApp } from '../testing/harness.js';
import { ACTIVATION_REQUEST_LABEL, armor } from '../modules/offline/license-file.js';
import { fillPath, listOperations, type JsonSchema, type Operation } from '../testing/openapi.js';

/**
 * Fires malformed requests at every route of the OpenAPI document, with the admin token and without a
 * credential, and checks that none gets a 5xx, that every 4xx has CONTRACT.md's error shape, and that
 * the answers the contract names (400 VALIDATION_FAILED naming the field, 401, 404, 413) are given.
 * The cases come from a seeded generator: a failure names its case, and the same seed reproduces it.
 */
const SEED = 0x4b48_2026;

/** mulberry32: small, fast, and the same sequence on every run. */
function makeRng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    /** `count` distinct items, in a seeded order. */
    pick<T>(items: readonly T[], count: number): T[] {
      const copy = [...items];
      const out: T[] = [];
      while (out.length < count && copy.length > 0) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]!);
      return out;
    },
  };
}
type Rng = ReturnType<typeof makeRng>;

interface Expect {
  status: number | number[];
  code?: string;
  /** `error.details.fields` must name this field (or a field below it). */
  field?: string;
}

interface Case {
  op: Operation;
  label: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string;
  /** The URL itself is malformed: the answer may come before routing, so before the credential check. */
  preRouting?: boolean;
  /** What the admin token (and, on public routes, anyone) must get. */
  expect?: Expect;
}

interface Fixtures {
  /** Values for body, query and path fields by name. */
  values: Record<string, string>;
  /** Path `{id}` by collection. */
  ids: Record<string, string>;
  future: string;
  n: number;
}

/** Placeholder replaced in the JSON text by a very deeply nested array (too deep to build as an object). */
const DEEP = '__deeply_nested__';
const DEEP_JSON = '['.repeat(100_000) + ']'.repeat(100_000);

const MALFORMED_KEYS = [
  '',
  'ZZZZZ',
  'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZU',
  'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ',
  '!!!!!-!!!!!-!!!!!-!!!!!-!!!!!-!!!!!',
  '💥💥💥💥💥-💥💥💥💥💥-💥💥💥💥💥-💥💥💥💥💥-💥💥💥💥💥-💥💥💥💥💥',
  'K'.repeat(100),
  'K'.repeat(101),
  'KEY\u0000KEY',
];

/** Timestamps the date-time format lets through but that are odd: leap second, year 0, year 10000 in UTC. */
const ODD_TIMESTAMPS = [
  '2026-06-30T23:59:60Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59-23:59',
  '9999-12-31T23:59:59Z',
  '2026-03-01t12:00:00z',
  '2026-03-01 12:00:00Z',
  '2026-03-01T12:00:00.123456789+05:30',
];

const ODD_STRINGS = ['💥 Ünïcødé \u202e txet', 'NUL \u0000 inside', "' OR 1=1 --", '   ', '\ud800 lone surrogate', '<script>alert(1)</script>'];

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function nonNull(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  // `T | null` is written either as `type: [t, "null"]` (scalars) or as `anyOf: [T, {type: "null"}]`.
  if (Array.isArray(schema.type)) {
    const [type, ...rest] = schema.type.filter((t) => t !== 'null');
    if (rest.length > 0) throw new Error(`unexpected multi-type schema ${JSON.stringify(schema)}`);
    return { schema: { ...schema, type }, nullable: schema.type.includes('null') };
  }
  if (!schema.anyOf) return { schema, nullable: false };
  const nullable = schema.anyOf.some((s) => s.type === 'null');
  return { schema: schema.anyOf.find((s) => s.type !== 'null') ?? {}, nullable };
}

/** A valid value for a field, using real fixture ids where the name says what it refers to. */
function sample(name: string, schema: JsonSchema, fx: Fixtures): unknown {
  const s = nonNull(schema).schema;
  if (s.const !== undefined) return s.const;
  if (fx.values[name] !== undefined) return fx.values[name];
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'string': {
      if (s.format === 'email') return `fuzz-${fx.n++}@example.com`;
      if (s.format === 'date-time') return fx.future;
      if (s.format === 'date') return fx.future.slice(0, 10);
      if (s.format === 'uri') return 'https://example.com/x';
      const v = 'fuzz' + 'x'.repeat(Math.max(0, (s.minLength ?? 0) - 4));
      return s.maxLength !== undefined ? v.slice(0, s.maxLength) : v;
    }
    case 'integer':
    case 'number':
      return Math.min(Math.max(s.minimum ?? 1, 1), s.maximum ?? Number.MAX_SAFE_INTEGER);
    case 'boolean':
      return false;
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sample(name, s.items ?? {}, fx));
    case 'object':
      return Object.fromEntries((s.required ?? []).map((p) => [p, sample(p, s.properties?.[p] ?? {}, fx)]));
    default:
      return 'fuzz';
  }
}

/** A body the route accepts: the required fields, or for an update (no required field) one field. */
function validBody(op: Operation, fx: Fixtures): Record<string, unknown> | undefined {
  if (!op.body) return undefined;
  const body = sample('body', op.body, fx) as Record<string, unknown>;
  if (Object.keys(body).length === 0 && (op.body.minProperties ?? 0) > 0) {
    const props = Object.keys(op.body.properties ?? {});
    const name = props.includes('name') ? 'name' : props[0]!;
    body[name] = sample(name, op.body.properties![name]!, fx);
  }
  return body;
}

interface Variant {
  label: string;
  value: unknown;
  /** The schema rejects it: 400 VALIDATION_FAILED naming the field. */
  invalid: boolean;
}

/** The query string of a valid request: its required parameters, if any. */
function validQuery(op: Operation, fx: Fixtures): string {
  const parts = op.requiredQuery.map((name) => `${name}=${encode(String(sample(name, op.query[name]!, fx)))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** The URL of a valid request: real fixture ids in the path, the required query parameters. */
function validUrl(op: Operation, fx: Fixtures): string {
  return fillPath(op.path, Object.fromEntries(op.pathParams.map((p) => [p, fx.ids[collectionOf(op.path)]!]))) + validQuery(op, fx);
}

/** Percent-encodes any string, lone surrogates included (as the UTF-8 replacement character). */
function encode(value: string): string {
  return encodeURIComponent(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

/** Wrong and odd values for one field, derived from its schema. */
function variantsFor(name: string, schema: JsonSchema, fx: Fixtures, rng: Rng): Variant[] {
  const { schema: s, nullable } = nonNull(schema);
  const type = s.type ?? 'any';
  const out: Variant[] = [];
  const bad = (label: string, value: unknown) => out.push({ label, value, invalid: true });
  const odd = (label: string, value: unknown) => out.push({ label, value, invalid: false });

  if (type !== 'any') {
    const wrongTypes: [string, unknown][] = [
      ['a numeric string', '5'],
      ['an integer', 12345],
      ['a fraction', 1.5],
      ['a huge number', 1e308],
      ['a boolean', true],
      ['an array', [1, 'a']],
      ['an object', { a: { b: 1 } }],
      ['null', null],
    ];
    const fits = (v: unknown) => {
      const t = typeOf(v);
      if (t === 'null') return nullable;
      if (type === 'number') return t === 'integer' || t === 'number';
      return t === type;
    };
    for (const [label, value] of rng.pick(wrongTypes.filter(([, v]) => !fits(v)), 2)) bad(label, value);
  }

  switch (type) {
    case 'string': {
      if (s.maxLength !== undefined) bad(`${s.maxLength + 1} characters`, 'x'.repeat(s.maxLength + 1));
      if ((s.minLength ?? 0) > 0) bad('an empty string', '');
      if (s.enum) bad('a value outside the enum', 'not-a-member');
      if (s.pattern) {
        const candidate = rng.pick(['a b', '../../etc/passwd', 'ÄÖÜ', '-leading'], 1)[0]!;
        if (!new RegExp(s.pattern, 'u').test(candidate)) bad(`"${candidate}" against the pattern`, candidate);
      }
      if (s.format === 'email') bad('not an e-mail', 'not-an-email');
      if (s.format === 'uri') bad('not a URI', 'not a uri');
      if (s.format === 'date-time') {
        bad('not a timestamp', 'yesterday');
        bad('a date without time', '2026-03-01');
        for (const ts of ODD_TIMESTAMPS) odd(`the timestamp ${ts}`, ts);
      }
      if (name === 'key') for (const key of MALFORMED_KEYS) bad(`the malformed key ${JSON.stringify(key).slice(0, 30)}`, key);
      // NUL first: it is the string PostgreSQL cannot store.
      for (const str of [ODD_STRINGS[1]!, ...rng.pick(ODD_STRINGS, 1)]) odd(`the string ${JSON.stringify(str)}`, str);
      break;
    }
    case 'integer':
    case 'number': {
      if (s.minimum !== undefined) bad('below the minimum', s.minimum - 1);
      if (s.maximum !== undefined) bad('above the maximum', s.maximum + 1);
      if (s.maximum !== undefined) bad('2^53 + 2', 2 ** 53 + 2);
      if (type === 'integer' && !out.some((v) => v.value === 1.5)) bad('a fraction', 2.5);
      break;
    }
    case 'boolean':
      bad('the string "true"', 'true');
      bad('the number 1', 1);
      break;
    case 'array': {
      const item = s.items ?? {};
      if (s.maxItems !== undefined) bad(`${s.maxItems + 1} items`, Array.from({ length: s.maxItems + 1 }, () => sample(name, item, fx)));
      if (item.type && item.type !== 'null') bad('an array holding null', [null]);
      if (item.type === 'string') bad('an array holding a number', [7]);
      if (item.type === 'string') odd('an array of odd strings', rng.pick(ODD_STRINGS, 2));
      if (item.type === 'object') bad('an array holding a string', ['x']);
      break;
    }
    case 'object': {
      // An object with declared fields is closed, at every level.
      if (s.properties) bad('an unknown nested field', { ...(sample(name, s, fx) as object), unknownNested: 1 });
      if (s.maxProperties !== undefined) {
        bad(`${s.maxProperties + 1} keys`, Object.fromEntries(Array.from({ length: s.maxProperties + 1 }, (_, i) => [`k${i}`, i])));
      }
      if (s.additionalProperties !== false) {
        odd('a very deeply nested value', { deep: DEEP });
        odd('a very long key', { ['k'.repeat(5000)]: 1 });
        odd('odd keys', { 'NUL\u0000key': 1, '': 2, '💥': 3 });
      }
      break;
    }
  }
  return out;
}

function toPayload(body: unknown): string {
  return JSON.stringify(body).replace(`"${DEEP}"`, DEEP_JSON);
}

function collectionOf(path: string): string {
  return path.split('/')[2]!;
}

/**
 * Operations whose JSON body may be left out (publish: the announcement is optional; a password link is
 * mailed unless `deliver` says otherwise); no body is not an error there.
 */
const OPTIONAL_BODY = new Set(['publishRelease', 'sendPasswordLink']);

/** Every malformed request for one route. */
function casesFor(op: Operation, fx: Fixtures, rng: Rng): Case[] {
  const cases: Case[] = [];
  const json = { 'content-type': 'application/json' };
  const pathValues = (id: string) => Object.fromEntries(op.pathParams.map((p) => [p, id]));
  const query = validQuery(op, fx);
  const url = validUrl(op, fx);
  const body = validBody(op, fx);
  const bodyText = body ? JSON.stringify(body) : undefined;
  const add = (label: string, c: Omit<Case, 'op' | 'label' | 'method' | 'url'> & { url?: string; method?: string }) =>
    cases.push({ op, label: `${op.operationId} (${op.method} ${op.path}): ${label}`, method: op.method, url, ...c });
  const VALIDATION = (field?: string): Expect => ({ status: 400, code: 'VALIDATION_FAILED', ...(field ? { field } : {}) });

  // Bodies: only where the method has one. The artifact upload takes only application/octet-stream: any JSON is a 415.
  if (op.operationId === 'uploadArtifact') {
    for (const text of ['{', '{"a":1}', '']) add(`the JSON ${JSON.stringify(text)} instead of a file`, { headers: json, payload: text, expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } });
    for (const type of ['application/xml', 'multipart/form-data; boundary=x', 'text/plain']) {
      add(`the content type ${type}`, { headers: { 'content-type': type }, payload: '<a/>', expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } });
    }
  } else if (op.method !== 'GET') {
    for (const text of ['{', '{"a":', "{'single': 1}", '{"a":1,}', 'NaN', '{"name":"x"} trailing', '\u0000', '{"a":"\\x"}']) {
      add(`the invalid JSON ${JSON.stringify(text)}`, { headers: json, payload: text, expect: VALIDATION('body') });
    }
    add('an empty JSON body', { headers: json, payload: '', expect: op.method === 'DELETE' ? undefined : VALIDATION() });
    for (const text of ['{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}']) {
      add(`prototype poisoning ${text}`, { headers: json, payload: text, expect: VALIDATION() });
    }
    const huge = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    add('a body over 1 MiB', { headers: json, payload: huge, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } });
    // The one-click unsubscribe takes the form body RFC 8058 prescribes (and ignores it).
    const forms = op.operationId === 'unsubscribeMailOneClick';
    for (const type of ['application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png'].filter((type) => !(forms && type === 'application/x-www-form-urlencoded'))) {
      add(`the content type ${type}`, { headers: { 'content-type': type }, payload: bodyText ?? '<a/>', expect: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } });
    }
  }
  if (op.body && body) {
    for (const text of ['[]', '"text"', '42', 'null', 'true', '[{"name":"x"}]']) {
      add(`the JSON ${text} instead of an object`, { headers: json, payload: text, expect: VALIDATION() });
    }
    add('the body as text/plain', { headers: { 'content-type': 'text/plain' }, payload: bodyText, expect: { status: [400, 415] } });
    add('no body at all', { expect: OPTIONAL_BODY.has(op.operationId) ? undefined : VALIDATION() });
    add('an unknown field', { headers: json, payload: JSON.stringify({ ...body, unknownField: 1 }), expect: VALIDATION('unknownField') });
    add('two unknown fields', { headers: json, payload: JSON.stringify({ ...body, 'weird field': [], __defineGetter__: 1 }), expect: VALIDATION('weird field') });
    for (const field of op.body.required ?? []) {
      const { [field]: _, ...rest } = body;
      add(`without the required field ${field}`, { headers: json, payload: JSON.stringify(rest), expect: VALIDATION(field) });
    }
    if ((op.body.minProperties ?? 0) > 0) add('an empty object', { headers: json, payload: '{}', expect: VALIDATION() });
    for (const [field, schema] of Object.entries(op.body.properties ?? {})) {
      for (const v of variantsFor(field, schema, fx, rng)) {
        add(`${field} = ${v.label}`, { headers: json, payload: toPayload({ ...body, [field]: v.value }), expect: v.invalid ? VALIDATION(field) : undefined });
      }
    }
  }

  // Path parameters.
  if (op.pathParams.length > 0) {
    const withBody = bodyText !== undefined ? { headers: json, payload: bodyText } : {};
    add('an unknown id', { ...withBody, url: fillPath(op.path, pathValues(`fuzz_unknown_${rng.int(1e9)}`)) + query, expect: { status: 404, code: 'NOT_FOUND' } });
    const odd: [string, string, boolean][] = [
      ['a NUL character', '%00', false],
      ['a path traversal', '..%2F..%2Fetc%2Fpasswd', false],
      ['SQL', '%27%20OR%201%3D1%20--', false],
      ['an emoji', '%F0%9F%92%A5', false],
      ['a space', 'a%20b', false],
      ['65 characters', 'x'.repeat(65), false],
      ['250 characters', 'x'.repeat(250), true],
      ['a broken percent-encoding', '%E0%A4%A', true],
      ['a lone percent sign', '%', true],
    ];
    // Before routing: a broken encoding is a bad URL; a segment over maxParamLength is refused as too long,
    // except for GET, where the web app's catch-all route matches the path first and answers 404.
    const PRE_ROUTING: Record<string, Expect> = {
      '250 characters': op.method === 'GET' ? { status: 404, code: 'NOT_FOUND' } : VALIDATION('path'),
      'a broken percent-encoding': VALIDATION('path'),
      'a lone percent sign': VALIDATION('path'),
    };
    // A value the parameter's schema refuses is a 400 naming it; one it admits is an id nobody has.
    const oddIdAnswer = (value: string): Expect => {
      const name = op.pathParams[0]!;
      const s = nonNull(op.pathSchemas[name]!).schema;
      // Every string the server accepts refuses the NUL character (http/validation.ts).
      const refused = value.includes('\0') || (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) || (s.maxLength !== undefined && value.length > s.maxLength);
      return refused ? VALIDATION(name) : { status: 404, code: 'NOT_FOUND' };
    };
    for (const [label, id, preRouting] of rng.pick(odd, 5)) {
      add(`the id is ${label}`, { ...withBody, url: fillPath(op.path, pathValues(id)) + query, preRouting, expect: preRouting ? PRE_ROUTING[label]! : oddIdAnswer(decodeURIComponent(id)) });
    }
  }

  // Query strings.
  const queryNames = Object.keys(op.query);
  if (queryNames.length > 0) {
    const base = fillPath(op.path, pathValues(fx.ids[collectionOf(op.path)] ?? 'none'));
    // One parameter wrong, the required others right.
    const q = (part: string) => {
      const name = part.split('=')[0]!;
      const others = op.requiredQuery.filter((r) => r !== name).map((r) => `${r}=${encode(String(sample(r, op.query[r]!, fx)))}`);
      return `${base}?${[...others, part].join('&')}`;
    };
    add('an unknown query parameter', { url: q('unknownParam=1'), expect: VALIDATION('unknownParam') });
    for (const [name, schema] of Object.entries(op.query)) {
      const s = nonNull(schema).schema;
      const values: [string, string, boolean][] = [];
      if (s.type === 'integer') {
        values.push(['letters', 'abc', true], ['a fraction', '1.5', true], ['a huge number', '1e400', true], ['an empty value', '', true], ['a negative number', '-1', true]);
        if (s.maximum !== undefined) values.push(['above the maximum', String(s.maximum + 1), true]);
        values.push(['twice', `1&${name}=2`, true]);
      } else {
        if ((s.minLength ?? 0) > 0) values.push(['an empty value', '', true]);
        if (s.maxLength !== undefined) values.push([`${s.maxLength + 1} characters`, 'x'.repeat(s.maxLength + 1), true]);
        if (s.enum) values.push(['a value outside the enum', 'bogus', true]);
        if (s.pattern) values.push(['odd characters', encodeURIComponent('a b/../"x"'), true]);
        if (s.format === 'date-time') {
          values.push(['not a timestamp', 'yesterday', true]);
          for (const ts of ODD_TIMESTAMPS) values.push([`the timestamp ${ts}`, encode(ts), false]);
        }
        if (name === 'key') for (const key of MALFORMED_KEYS.filter((k) => k !== '')) values.push([`the malformed key ${JSON.stringify(key).slice(0, 30)}`, encode(key), true]);
        values.push(['a NUL character', '%00', !!s.pattern], ['twice', `a&${name}=b`, true]);
        for (const str of rng.pick(ODD_STRINGS, 1)) values.push([`the string ${JSON.stringify(str)}`, encode(str), false]);
        values.push(['a broken percent-encoding', '%E0%A4%A', false]);
      }
      for (const [label, value, invalid] of values) {
        add(`?${name} = ${label}`, { url: q(`${name}=${value}`), expect: invalid ? VALIDATION(name) : undefined });
      }
    }
  }
  return cases;
}

/** Bearer credentials that must not get in. */
function wrongCredentials(revokedToken: string, signedOutSession: string): [string, string][] {
  return [
    ['a made-up token', 'Bearer wrong-token'],
    ['an unknown session token', 'Bearer khs_' + 'A'.repeat(43)],
    ['an unknown API token', 'Bearer khat_' + 'B'.repeat(43)],
    ['an empty bearer', 'Bearer '],
    ['a bare "Bearer"', 'Bearer'],
    ['Basic credentials', 'Basic ' + Buffer.from('admin:admin').toString('base64')],
    ['the admin token without a scheme', ADMIN_TOKEN],
    ['the admin token plus a character', `Bearer ${ADMIN_TOKEN}x`],
    ['the admin token minus a character', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ['two tokens', `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
    ['a very long token', 'Bearer ' + 'x'.repeat(8000)],
    ['a revoked API token', `Bearer ${revokedToken}`],
    ['a signed-out session', `Bearer ${signedOutSession}`],
  ];
}

interface Sent {
  status: number;
  raw: string;
  body: any;
}

async function send(t: TestApp, c: Case, authorization: string | undefined): Promise<Sent> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await t.app.inject({ method: c.method as 'GET', url: c.url, headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
  let body: any;
  try {
    body = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, raw: res.body, body };
}

/** Problems with one answer; empty when it is fine. */
function check(res: Sent, expect: Expect | undefined): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`got ${res.status}`);
  if (res.status >= 400) {
    const error = res.body?.error;
    if (!error || typeof error.message !== 'string' || typeof error.code !== 'string' || !/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(error.code)) {
      problems.push(`the ${res.status} body is not {error: {code, message}}`);
    }
  }
  if (expect) {
    const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
    if (!statuses.includes(res.status)) problems.push(`expected ${statuses.join(' or ')}, got ${res.status}`);
    if (expect.code && res.body?.error?.code !== expect.code) problems.push(`expected code ${expect.code}, got ${res.body?.error?.code}`);
    if (expect.field) {
      const fields = Object.keys(res.body?.error?.details?.fields ?? {});
      if (!fields.some((f) => f === expect.field || f.startsWith(`${expect.field}.`))) problems.push(`details.fields should name ${expect.field}, has [${fields.join(', ')}]`);
    }
  }
  return problems;
}

/** A Stripe event of a type the adapter ignores, signed with the test app's endpoint secret. */
function signedStripeEvent(t: TestApp): { headers: Record<string, string>; payload: string } {
  const payload = JSON.stringify({ id: `evt_fuzz_${Date.now()}`, object: 'event', type: 'fuzz.ping', data: { object: {} } });
  const ts = Math.floor(t.clock.now().getTime() / 1000);
  const v1 = createHmac('sha256', TEST_STRIPE_WEBHOOK_SECRET).update(`${ts}.${payload}`).digest('hex');
  return { headers: { 'content-type': 'application/json', 'stripe-signature': `t=${ts},v1=${v1}` }, payload };
}

function report(failures: string[]): string {
  return `${failures.length} failing request(s) (seed ${SEED}):\n` + failures.slice(0, 60).join('\n');
}

forEachDialect('bad input', (dialect) => {
  // An SMTP server is configured (nothing listens there; the worker does not run here), so the outbox
  // actions that need one (send held mail, retry a mail) can succeed.
  const ctx = useTestApp(dialect, { config: { smtpUrl: 'smtp://127.0.0.1:9' } });
  let t: TestApp;
  let api: Client;
  let ops: Operation[];
  let fx: Fixtures;
  let revokedToken: string;
  let signedOutSession: string;
  let member: { user: { id: string }; token: string; email: string; password: string };

  before(async () => {
    t = ctx.t;
    api = ctx.api;
    const doc = await api.get('/openapi.json');
    assert.equal(doc.status, 200);
    ops = listOperations(doc.body);
    const { product, policy, customer, license } = await factories.world(api, { meters: [{ feature: 'fuzz-meter', limit: null, period: 'never' }] });
    // An activated machine: the client machine routes act on its fingerprint, deleteMachine on its id.
    const machine = await client(t.app, undefined).post('/v1/machines/activate', { key: license.key, fingerprint: 'fuzz-fingerprint' });
    assert.equal(machine.status, 201, machine.raw);
    member = await factories.signedInUser(api, t.app, 'customer-member', customer.id);
    const token = await api.post('/v1/tokens', { name: 'fuzz', role: 'read-only' });
    assert.equal(token.status, 201);
    const revoked = await api.post('/v1/tokens', { name: 'revoked', role: 'admin' });
    assert.equal((await api.delete(`/v1/tokens/${revoked.body.id}`)).status, 204);
    revokedToken = revoked.body.token;
    const leaving = await factories.signedInUser(api, t.app, 'support');
    assert.equal((await client(t.app, leaving.token).post('/v1/auth/sign-out')).status, 204);
    signedOutSession = leaving.token;
    const productGroup = await api.post('/v1/product-groups', { name: 'Fuzz group', productIds: [product.id] });
    assert.equal(productGroup.status, 201, productGroup.raw);
    const partner = await api.post('/v1/partners', { name: 'Fuzz partner', grants: [{ productGroupId: productGroup.body.id, rights: ['downloads'] }] });
    assert.equal(partner.status, 201, partner.raw);
    const webhookEndpoint = await api.post('/v1/webhook-endpoints', { url: 'https://hooks.example.com/fuzz', events: ['license.revoked'] });
    assert.equal(webhookEndpoint.status, 201, webhookEndpoint.raw);
    fx = {
      values: {
        productId: product.id,
        policyId: policy.id,
        customerId: customer.id,
        key: license.key,
        fingerprint: machine.body.machine.fingerprint,
        licenseId: license.id,
        feature: 'fuzz-meter',
        request: armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'fuzz-offline-fingerprint' }),
        password: 'correct horse battery',
        currentPassword: 'correct horse battery',
        newPassword: 'correct horse battery staple',
        // A real set-password link of a user without a password (completePasswordReset's base request uses it).
        token: (await t.services.passwordLinks.create(t.deps.database.db, (await api.post('/v1/users', { email: 'fuzz-password-link@example.com', role: 'read-only' })).body.id, 'set')).token,
        role: 'read-only',
        // A user of the fixture customer (group members, ticket holders).
        userId: member.user.id,
        version: '1.0.0',
        product: product.id,
        productGroupId: productGroup.body.id,
        // downloadArtifact's HMAC: well-formed, but no valid link (403 DOWNLOAD_LINK_INVALID).
        s: '0'.repeat(64),
      },
      ids: {
        products: product.id,
        policies: policy.id,
        customers: customer.id,
        users: member.user.id,
        tokens: token.body.id,
        licenses: license.id,
        machines: machine.body.machine.id,
        jobs: (await t.services.jobs.enqueue(t.deps.database.db, { type: 'fuzz.job', payload: {} })).id,
        'mail-templates': 'license.issued',
        outbox: (await t.services.mail.send(t.deps.database.db, { template: 'staff.alert', to: 'fuzz-outbox@example.com', data: {}, category: 'essential' })).id,
        'mail-preferences': 'fuzz-preferences@example.com',
        mail: t.services.mailPreferences.unsubscribeUrl('fuzz-unsubscribe@example.com', 'reminders').split('/').pop()!,
        releases: (await api.post('/v1/releases', { productId: product.id, version: '0.9.0' })).body.id,
        ...(await (async () => {
          const release = (await api.post('/v1/releases', { productId: product.id, version: '0.9.1' })).body.id;
          await api.post(`/v1/releases/${release}/actions/publish`);
          const uploaded = await api.call('PUT', `/v1/releases/${release}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=fuzz.zip`, Buffer.from('fuzz'), {
            'content-type': 'application/octet-stream',
          });
          return { artifacts: uploaded.body.id as string, downloads: uploaded.body.id as string };
        })()),
        'product-groups': productGroup.body.id,
        partners: partner.body.id,
        'webhook-endpoints': webhookEndpoint.body.id,
        'webhook-deliveries': (await api.post(`/v1/webhook-endpoints/${webhookEndpoint.body.id}/actions/test`)).body.id,
        faq: (await api.post('/v1/faq', { question: 'Fuzz?', answer: 'Fuzz.' })).body.id,
        'customer-groups': (await api.post(`/v1/customers/${customer.id}/groups`, { name: 'Fuzz group' })).body.id,
        orders: (await api.post('/v1/orders', { externalId: 'fuzz-order', customer: { email: customer.email }, items: [{ policyId: policy.id }], sendEmail: false })).body.id,
        contracts: (await api.post('/v1/contracts', { customerId: customer.id, policyId: policy.id, unit: 'licenses', quantity: null })).body.id,
      },
      future: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
      n: 0,
    };
  });

  test('the OpenAPI document lists the routes', () => {
    assert.ok(ops.length >= 40, `only ${ops.length} operations`);
    const ids = ops.map((o) => o.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const id of ['createProduct', 'createLicense', 'validateLicense', 'listEvents', 'signIn']) assert.ok(ids.includes(id), id);
  });

  test('the generated base request of every route succeeds (2xx)', async () => {
    const { db } = t.deps.database;
    const licenseId = fx.ids.licenses!;
    const inLicensePath = (url: string, id: string) => url.replace(licenseId, id);
    let trialProduct: { id: string; paid: string } | undefined;
    const trials = async () => {
      if (trialProduct) return trialProduct;
      const product = await factories.product(api, { publicTrials: true });
      await factories.policy(api, product.id, 'trial');
      trialProduct = { id: product.id, paid: (await factories.policy(api, product.id, 'timed')).id };
      return trialProduct;
    };
    const trialLicense = async () => (await api.post('/v1/licenses/trials', { productId: (await trials()).id })).body.id as string;
    const subscription = async () => (await factories.license(api, (await factories.policy(api, fx.values.productId!, 'subscription')).id, { customerId: fx.values.customerId })).id as string;
    /**
     * What a base request needs beyond the shared fixtures to be one that must succeed: a record of its
     * own (a delete takes one nobody else uses), a state (a subscription, a trial, a failed job or mail),
     * or the caller it is for (a signed-in user). Each returns changes to the generated request.
     */
    type Change = { url?: string; body?: Record<string, unknown>; authorization?: string; raw?: { contentType: string; payload: Buffer } };
    const SETUP: Record<string, (url: string, body: Record<string, unknown>) => Promise<Change>> = {
      deleteProduct: async () => ({ url: `/v1/products/${(await factories.product(api)).id}` }),
      deletePolicy: async () => ({ url: `/v1/policies/${(await factories.policy(api, fx.values.productId!)).id}` }),
      deleteCustomer: async () => ({ url: `/v1/customers/${(await factories.customer(api)).id}` }),
      deleteCustomerGroup: async () => ({ url: `/v1/customer-groups/${(await api.post(`/v1/customers/${fx.values.customerId}/groups`, { name: 'Fuzz doomed' })).body.id}` }),
      // createCustomerGroup made a group of the generated name in the same organization: a name of its own.
      updateCustomerGroup: async () => ({ body: { name: 'Fuzz renamed' } }),
      removeCustomerGroupMember: async () => {
        const group = (await api.post(`/v1/customers/${fx.values.customerId}/groups`, { name: 'Fuzz leaving' })).body.id;
        assert.equal((await api.post(`/v1/customer-groups/${group}/members`, { userId: member.user.id })).status, 200);
        return { url: `/v1/customer-groups/${group}/members/${member.user.id}` };
      },
      // Group names are unique, and the fixture group is granted to the fixture partner (IN_USE).
      createProductGroup: async (_url, body) => ({ body: { ...body, name: `Fuzz group ${fx.n++}` } }),
      updateProductGroup: async () => ({ body: { position: 2 } }),
      deleteProductGroup: async () => ({ url: `/v1/product-groups/${(await api.post('/v1/product-groups', { name: `Fuzz gone ${fx.n++}`, productIds: [] })).body.id}` }),
      signIn: async () => ({ body: { email: member.email, password: member.password } }),
      changePassword: async () => {
        const user = await factories.signedInUser(api, t.app, 'support');
        return { authorization: `Bearer ${user.token}`, body: { currentPassword: user.password, newPassword: 'correct horse battery staple' } };
      },
      getMailPreferences: async () => ({ authorization: `Bearer ${member.token}` }),
      updateMailPreferences: async () => ({ authorization: `Bearer ${member.token}` }),
      cancelSubscription: async (url) => ({ url: inLicensePath(url, await subscription()) }),
      resumeSubscription: async (url) => ({ url: inLicensePath(url, await subscription()) }),
      renewSubscription: async (url) => ({ url: inLicensePath(url, await subscription()) }),
      signUpForTrial: async (_url, body) => ({ body: { ...body, product: (await trials()).id } }),
      createTrial: async (_url, body) => ({ body: { ...body, productId: (await trials()).id } }),
      extendTrial: async (url) => ({ url: inLicensePath(url, await trialLicense()) }),
      convertTrial: async (url, body) => ({ url: inLicensePath(url, await trialLicense()), body: { ...body, policyId: (await trials()).paid } }),
      removeLicenseUser: async () => {
        const user = await api.post(`/v1/licenses/${licenseId}/users`, { identifier: `fuzz-user-${fx.n++}@example.com` });
        return { url: `/v1/licenses/${licenseId}/users/${user.body.id}` };
      },
      deleteMachine: async () => {
        const license = await factories.license(api, fx.values.policyId!);
        const machine = await client(t.app, undefined).post('/v1/machines/activate', { key: license.key, fingerprint: 'fuzz-delete' });
        assert.equal(machine.status, 201, machine.raw);
        return { url: `/v1/machines/${machine.body.machine.id}` };
      },
      addLicenseSeats: async (url) => ({ url: inLicensePath(url, (await factories.license(api, fx.values.policyId!, { maxMachines: 2 })).id) }),
      // The shared license has named users by now (per-user licensing); a request for a fresh one.
      createOfflineActivation: async (_url, body) => {
        const license = await factories.license(api, fx.values.policyId!);
        return { body: { ...body, request: armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'fuzz-offline' }) } };
      },
      deactivateMachine: async (_url, body) => {
        const license = await factories.license(api, fx.values.policyId!);
        assert.equal((await client(t.app, undefined).post('/v1/machines/activate', { key: license.key, fingerprint: 'fuzz-leaving' })).status, 201);
        return { body: { ...body, key: license.key, fingerprint: 'fuzz-leaving' } };
      },
      // A machine with an offline file out (a borrowed seat) returns it early.
      checkinLicenseFile: async (_url, body) => {
        const license = await factories.license(api, fx.values.policyId!);
        const anon = client(t.app, undefined);
        assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'fuzz-checkin' })).status, 201);
        assert.equal((await anon.post('/v1/licenses/checkout', { key: license.key, fingerprint: 'fuzz-checkin' })).status, 200);
        return { body: { ...body, key: license.key, fingerprint: 'fuzz-checkin' } };
      },
      // Only a draft can be deleted.
      deleteRelease: async () => ({ url: `/v1/releases/${(await api.post('/v1/releases', { productId: fx.values.productId, version: '0.9.8' })).body.id}` }),
      unyankRelease: async () => {
        const release = (await api.post('/v1/releases', { productId: fx.values.productId, version: '0.9.7' })).body.id;
        await api.post(`/v1/releases/${release}/actions/publish`);
        assert.equal((await api.post(`/v1/releases/${release}/actions/yank`, {})).status, 200);
        return { url: `/v1/releases/${release}/actions/unyank` };
      },
      updateRelease: async (_url, body) => ({ body: { ...body, version: '0.9.5' } }),
      uploadArtifact: async () => ({ raw: { contentType: 'application/octet-stream', payload: Buffer.from('fuzz upload') } }),
      downloadArtifact: async () => {
        const link = new URL((await api.post(`/v1/artifacts/${fx.ids.artifacts}/download-link`)).body.url);
        return { url: link.pathname + link.search };
      },
      retryJob: async () => {
        const job = await t.services.jobs.enqueue(db, { type: 'fuzz.job', payload: {} });
        await db.updateTable('jobs').set({ status: 'failed' }).where('id', '=', job.id).execute();
        return { url: `/v1/jobs/${job.id}/retry` };
      },
      // A contract names its holder and what it covers (one of two each, so neither is required by the schema).
      createContract: async (_url, body) => ({ body: { ...body, customerId: fx.values.customerId, policyId: fx.values.policyId } }),
      cancelContract: async () => {
        const contract = await api.post('/v1/contracts', { customerId: fx.values.customerId, policyId: fx.values.policyId, unit: 'licenses', quantity: 5 });
        return { url: `/v1/contracts/${contract.body.id}/actions/cancel` };
      },
      retryOutboxMail: async (url) => {
        const mail = await t.services.mail.send(db, { template: 'staff.alert', to: 'fuzz-retry@example.com', data: {}, category: 'essential' });
        await db.updateTable('mail_outbox').set({ status: 'failed' }).where('id', '=', mail.id).execute();
        return { url: url.replace(fx.ids.outbox!, mail.id) };
      },
    };
    // What ends a record's use (deleting, revoking, signing out) runs after everything that uses it.
    const FINAL = new Set(['revokeLicense', 'deactivateMachine', 'signOut', 'yankRelease']);
    const ordered = [...ops.filter((op) => op.method !== 'DELETE' && !FINAL.has(op.operationId)), ...ops.filter((op) => op.method === 'DELETE'), ...ops.filter((op) => FINAL.has(op.operationId))];
    const failures: string[] = [];
    for (const op of ordered) {
      let body = validBody(op, fx);
      let url = validUrl(op, fx);
      let authorization = `Bearer ${ADMIN_TOKEN}`;
      let raw: Change['raw'];
      const setup = SETUP[op.operationId];
      if (setup) {
        const change = await setup(url, body ?? {});
        url = change.url ?? url;
        body = change.body ?? body;
        authorization = change.authorization ?? authorization;
        raw = change.raw;
      }
      // The Stripe webhook is valid only with Stripe's signature over its body.
      const signed = op.operationId === 'receiveStripeEvent' ? signedStripeEvent(t) : undefined;
      const payload = signed ?? (raw ? { headers: { 'content-type': raw.contentType }, payload: raw.payload as unknown as string } : body ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) } : {});
      const res = await send(t, { op, label: op.operationId, method: op.method, url, ...payload }, authorization);
      if (res.status < 200 || res.status > 299) failures.push(`${op.operationId}: ${res.status} ${res.raw.slice(0, 300)}`);
    }
    assert.deepEqual(failures, []);
  });

  test('a few hundred malformed requests per credential: no 5xx, the contract status and code', async () => {
    const rng = makeRng(SEED);
    const cases = ops.flatMap((op) => casesFor(op, fx, rng));
    // Requests no route matches.
    const none = ops[0]!;
    cases.push(
      { op: none, label: 'an unknown path', method: 'GET', url: '/v1/nothing-here', expect: { status: 404, code: 'NOT_FOUND' } },
      { op: none, label: 'an unknown method', method: 'PUT', url: '/v1/products', headers: { 'content-type': 'application/json' }, payload: '{}', expect: { status: [404, 405] } },
      { op: none, label: 'a broken path', method: 'GET', url: '/v1/%E0%A4%A', preRouting: true },
    );
    assert.ok(cases.length >= 300, `only ${cases.length} cases`);
    const failures: string[] = [];
    for (const c of cases) {
      const admin = await send(t, c, `Bearer ${ADMIN_TOKEN}`);
      for (const problem of check(admin, c.expect)) failures.push(`[admin] ${c.label}: ${problem} — ${admin.raw.slice(0, 200)}`);
      const anon = await send(t, c, undefined);
      const expectAnon: Expect | undefined = c.op === none || c.op.public || c.preRouting ? c.expect : { status: 401, code: 'UNAUTHENTICATED' };
      for (const problem of check(anon, expectAnon)) failures.push(`[anonymous] ${c.label}: ${problem} — ${anon.raw.slice(0, 200)}`);
    }
    assert.equal(failures.length, 0, report(failures));
  });

  test('wrong bearer credentials get 401 UNAUTHENTICATED on every non-public route', async () => {
    const failures: string[] = [];
    for (const op of ops) {
      const body = validBody(op, fx);
      const url = validUrl(op, fx);
      const c: Case = { op, label: op.operationId, method: op.method, url, ...(body ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) } : {}) };
      for (const [label, authorization] of wrongCredentials(revokedToken, signedOutSession)) {
        const res = await send(t, c, authorization);
        for (const problem of check(res, op.public ? undefined : { status: 401, code: 'UNAUTHENTICATED' })) failures.push(`${op.operationId} with ${label}: ${problem} — ${res.raw.slice(0, 200)}`);
      }
    }
    assert.equal(failures.length, 0, report(failures));
  });

  test('malformed keys on validateLicense are 400 VALIDATION_FAILED naming the key; an unknown key is data', async () => {
    const anon = client(t.app, undefined);
    for (const key of MALFORMED_KEYS) {
      const res = await anon.post('/v1/licenses/validate', { key });
      assert.equal(res.status, 400, `${JSON.stringify(key)}: ${res.raw}`);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.ok(res.body.error.details.fields.key, res.raw);
    }
    const unknown = await anon.post('/v1/licenses/validate', { key: '00000-00000-00000-00000-00000-00000' });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.code, 'NOT_FOUND');
  });

  test('dates: odd timestamps are 400, terms past year 9999 are refused, expiresBefore honours offsets', async () => {
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { durationDays: 30, graceDays: 10 });
    for (const startsAt of ['2026-06-30T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59']) {
      const res = await api.post('/v1/licenses', { policyId: policy.id, startsAt });
      assert.equal(res.status, 400, `${startsAt}: ${res.raw}`);
      assert.ok(res.body.error.details.fields.startsAt, res.raw);
    }
    const late = await api.post('/v1/licenses', { policyId: policy.id, startsAt: '9999-12-20T00:00:00Z' });
    assert.equal(late.status, 400, late.raw);
    assert.ok(late.body.error.details.fields.expiresAt, late.raw);

    const license = await factories.license(api, policy.id, { expiresAt: '9999-01-01T00:00:00Z' });
    const extend = await api.post(`/v1/licenses/${license.id}/actions/extend`, { days: 36_500 });
    assert.equal(extend.status, 400, extend.raw);
    const grace = await api.patch(`/v1/licenses/${license.id}`, { graceDays: 3650 });
    assert.equal(grace.status, 400, grace.raw);
    assert.ok(grace.body.error.details.fields.graceEndsAt, grace.raw);
    const got = await api.get(`/v1/licenses/${license.id}`);
    assert.equal(got.status, 200, 'the refused changes left the license readable');
    assert.equal(got.body.expiresAt, '9999-01-01T00:00:00.000Z');
    assert.equal((await api.get(`/v1/licenses?productId=${product.id}`)).status, 200);

    // 2026-03-01T12:00+05:30 is 06:30 UTC: a license expiring at 10:00 UTC is not before it.
    const soon = await factories.license(api, policy.id, { expiresAt: '2026-03-01T10:00:00Z', startsAt: '2026-02-01T00:00:00Z' });
    const before = await api.get(`/v1/licenses?productId=${product.id}&expiresBefore=${encodeURIComponent('2026-03-01T12:00:00+05:30')}`);
    assert.equal(before.status, 200);
    assert.ok(!before.body.data.some((l: any) => l.id === soon.id), 'the offset is applied');
    const after = await api.get(`/v1/licenses?productId=${product.id}&expiresBefore=${encodeURIComponent('2026-03-01T12:00:00+01:00')}`);
    assert.ok(after.body.data.some((l: any) => l.id === soon.id));
  });

  test('NUL characters and very deep nesting are 400 wherever they are sent', async () => {
    const anon = client(t.app, undefined);
    const validate = await anon.post('/v1/licenses/validate', { key: fx.values.key, fingerprint: 'fp\u0000' });
    assert.equal(validate.status, 400, validate.raw);
    assert.ok(validate.body.error.details.fields.fingerprint);
    const name = await api.post('/v1/products', { name: 'a\u0000b' });
    assert.equal(name.status, 400);
    assert.ok(name.body.error.details.fields.name);
    const key = await api.post('/v1/customers', { name: 'c', email: 'nul-key@example.com', metadata: { 'a\u0000': 1 } });
    assert.equal(key.status, 400);
    assert.ok(key.body.error.details.fields.metadata);
    const query = await api.get('/v1/customers?q=%00');
    assert.equal(query.status, 400);
    assert.ok(query.body.error.details.fields.q);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const nested = await api.post('/v1/products', { name: 'deep', metadata: { deep } });
    assert.equal(nested.status, 400);
    assert.ok(Object.keys(nested.body.error.details.fields)[0]!.startsWith('metadata.deep'));
    let ok: unknown = 'leaf';
    for (let i = 0; i < 20; i++) ok = { d: ok };
    assert.equal((await api.post('/v1/products', { name: 'nested but fine', metadata: { ok } })).status, 201);
  });

  // Last: it moves the clock.
  test('expired sessions and API tokens get 401 UNAUTHENTICATED on every non-public route', async () => {
    const staff = await factories.signedInUser(api, t.app, 'admin');
    const token = await api.post('/v1/tokens', { name: 'short-lived', role: 'admin', expiresInDays: 1 });
    assert.equal(token.status, 201);
    assert.equal((await client(t.app, staff.token).get('/v1/auth/me')).status, 200);
    t.clock.advance(12 * 3_600_000 + 60_000);
    const failures: string[] = [];
    const sweep = async (label: string, credential: string, reason: string) => {
      for (const op of ops.filter((o) => !o.public)) {
        const body = validBody(op, fx);
        const url = validUrl(op, fx);
        const res = await send(t, { op, label: op.operationId, method: op.method, url, ...(body ? { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) } : {}) }, `Bearer ${credential}`);
        const problems = check(res, { status: 401, code: 'UNAUTHENTICATED' });
        if (res.body?.error?.details?.reason !== reason) problems.push(`details.reason should be ${reason}`);
        for (const problem of problems) failures.push(`${op.operationId} with ${label}: ${problem} — ${res.raw.slice(0, 200)}`);
      }
    };
    await sweep('an expired session', staff.token, 'SESSION_EXPIRED');
    t.clock.advance(86_400_000);
    await sweep('an expired API token', token.body.token, 'TOKEN_EXPIRED');
    assert.equal(failures.length, 0, report(failures));
  });
});
