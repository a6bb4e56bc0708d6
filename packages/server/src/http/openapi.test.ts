import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, forEachDialect, startTestApp, type TestApp } from '../testing/harness.js';

/** The operationIds CONTRACT.md fixes for the capabilities built so far. */
const CONTRACT_OPERATIONS = [
  'getPublicKey',
  'validateLicense',
  'createProduct',
  'createPolicy',
  'createCustomer',
  'createLicense',
  'getLicense',
  'listLicenses',
  'updateLicense',
  'suspendLicense',
  'reinstateLicense',
  'revokeLicense',
  'renewLicense',
  'extendLicense',
  'listEvents',
];

forEachDialect('OpenAPI, docs and health', (dialect) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(dialect);
  });
  after(async () => t?.close());

  test('/openapi.json lists every operation with a unique operationId', async () => {
    const res = await client(t.app, undefined).get('/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const ids: string[] = [];
    for (const [path, item] of Object.entries<any>(res.body.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        assert.ok(op.operationId, `${method.toUpperCase()} ${path} has an operationId`);
        ids.push(op.operationId);
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    for (const id of CONTRACT_OPERATIONS) assert.ok(ids.includes(id), `${id} is documented`);
    const validate = res.body.paths['/v1/licenses/validate'].post;
    assert.ok(validate.requestBody.content['application/json'].schema.properties.nonce);
  });

  test('/openapi.json passes the Redocly "recommended" rules we can check without the tool', async () => {
    const doc = (await client(t.app, undefined).get('/openapi.json')).body;
    const problems = recommendedRuleProblems(doc);
    assert.deepEqual(problems, []);
  });

  test('the docs UI is served without a credential', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
  });

  test('/health answers 200 while the database answers (the 503 is tested below, with the database closed); unknown paths 404', async () => {
    const ok = await client(t.app, undefined).get('/health');
    assert.deepEqual([ok.status, ok.body.status, ok.body.database], [200, 'ok', dialect]);
    const anon = client(t.app, undefined);
    assert.equal((await anon.get('/no/such/route')).status, 404);
    assert.equal((await anon.get('/no/such/route')).body.error.code, 'NOT_FOUND');
  });
});

forEachDialect('health with the database gone', (dialect) => {
  test('/health answers 503 UNAVAILABLE when the database does not answer', async () => {
    const t = await startTestApp(dialect);
    try {
      await t.deps.database.close();
      const res = await client(t.app, undefined).get('/health');
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'UNAVAILABLE');
    } finally {
      await t.app.close().catch(() => {});
      await t.close().catch(() => {});
    }
  });
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * A subset of Redocly's "recommended" ruleset, written against the served document so the check runs
 * without the CLI: info-license, no-empty-servers, operation-summary, operation-operationId(-unique),
 * operation-2xx-response, no-ref-siblings, path-parameters-defined, no-ambiguous-paths,
 * operation-tag-defined and security-defined. Returns one line per problem, so a failure names them all.
 */
function recommendedRuleProblems(doc: any): string[] {
  const problems: string[] = [];
  if (!doc.info?.license?.name) problems.push('info-license: info.license.name is missing');
  if (!Array.isArray(doc.servers) || doc.servers.length === 0 || !doc.servers.every((s: any) => s?.url)) {
    problems.push('no-empty-servers: servers is missing or empty');
  }
  const tags = new Set<string>((doc.tags ?? []).map((tag: any) => tag.name));
  const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
  const checkSecurity = (where: string, security: unknown) => {
    if (security === undefined) return;
    for (const requirement of security as Record<string, unknown>[]) {
      for (const name of Object.keys(requirement)) {
        if (!schemes.has(name)) problems.push(`security-defined: ${where} uses undefined scheme ${name}`);
      }
    }
  };
  checkSecurity('the document', doc.security);

  const ids = new Map<string, string>();
  const summaries = new Map<string, string>();
  const seen: string[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    // no-ambiguous-paths: two templates that match the same concrete path, e.g. /a/{x} and /a/{y} or /{x}/b.
    const segments = path.split('/');
    for (const other of seen) {
      const otherSegments = other.split('/');
      if (otherSegments.length !== segments.length) continue;
      const clash = segments.every((segment, i) => {
        const a = segment.startsWith('{');
        const b = otherSegments[i]!.startsWith('{');
        return a || b || segment === otherSegments[i];
      });
      // Redocly only reports a clash when neither path is more specific in every segment (a literal beats a template).
      const aMoreSpecific = segments.every((s, i) => !s.startsWith('{') || otherSegments[i]!.startsWith('{'));
      const bMoreSpecific = otherSegments.every((s, i) => !s.startsWith('{') || segments[i]!.startsWith('{'));
      if (clash && !aMoreSpecific && !bMoreSpecific) problems.push(`no-ambiguous-paths: ${path} and ${other}`);
      if (clash && aMoreSpecific && bMoreSpecific) problems.push(`no-identical-paths: ${path} and ${other}`);
    }
    seen.push(path);

    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (typeof op.summary !== 'string' || op.summary.trim() === '') problems.push(`operation-summary: ${where}`);
      else if (summaries.has(op.summary)) problems.push(`summary "${op.summary}" repeated by ${where} and ${summaries.get(op.summary)}`);
      else if (op.summary.length > 60 || op.summary.endsWith('.')) problems.push(`summary of ${where}: at most 60 characters, no final period`);
      else summaries.set(op.summary, where);
      if (!op.operationId) problems.push(`operation-operationId: ${where}`);
      else if (ids.has(op.operationId)) problems.push(`operation-operationId-unique: ${op.operationId} (${where}, ${ids.get(op.operationId)})`);
      else ids.set(op.operationId, where);
      const codes = Object.keys(op.responses ?? {});
      if (!codes.some((code) => /^[23]/.test(code))) problems.push(`operation-2xx-response: ${where}`);
      for (const tag of op.tags ?? []) if (!tags.has(tag)) problems.push(`operation-tag-defined: ${where} uses tag ${tag}`);
      checkSecurity(where, op.security);
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].filter((p: any) => p.in === 'path').map((p: any) => p.name);
      for (const name of templated) if (!declared.includes(name)) problems.push(`path-parameters-defined: ${where} does not declare {${name}}`);
      for (const name of declared) if (!templated.includes(name)) problems.push(`path-parameters-defined: ${where} declares ${name} not in the path`);
    }
  }

  // no-ref-siblings: a $ref object carries nothing else (3.1 allows description/summary, Redocly still warns).
  const walk = (node: unknown, at: string) => {
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, `${at}/${i}`));
    else if (node && typeof node === 'object') {
      const keys = Object.keys(node);
      if (keys.includes('$ref') && keys.length > 1) problems.push(`no-ref-siblings: ${at} (${keys.join(', ')})`);
      for (const [key, child] of Object.entries(node)) walk(child, `${at}/${key}`);
    }
  };
  walk(doc, '#');
  const used = new Set(Object.values<any>(doc.paths ?? {}).flatMap((item) => METHODS.flatMap((m) => item[m]?.tags ?? [])));
  for (const tag of tags) if (!used.has(tag)) problems.push(`tag ${tag} is declared but no operation uses it`);
  return problems;
}
