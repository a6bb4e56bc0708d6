import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../app.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { DAY_MS } from '../../lib/clock.js';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import type { Release } from '../releases/releases.service.js';
import { expiredReleases, RETENTION_JOB } from './retention.service.js';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A release as the rule sees it: only version, status, publication and id matter. */
function rel(version: string, status: Release['status'], publishedAt: string | null, id = version, channel: Release['channel'] = 'stable'): Release {
  return {
    id,
    productId: 'prod',
    version,
    channel,
    status,
    notes: '',
    notesHtml: '',
    docLinks: [],
    videoUrl: null,
    requirements: [],
    publishedAt,
    yankedAt: null,
    yankReason: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

test('the rule: semver precedence across pre-releases, OR of the two limits, newest published of each channel always kept, drafts ignored', () => {
  const now = new Date('2026-06-01T00:00:00.000Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * DAY_MS).toISOString();
  const releases = [
    rel('1.9.0', 'published', daysAgo(200)),
    rel('1.10.0', 'published', daysAgo(300)), // published earlier than 1.9.0, but higher precedence
    rel('2.0.0-rc.1', 'published', daysAgo(100)),
    rel('2.0.0-rc.2', 'yanked', daysAgo(90)),
    rel('3.0.0', 'draft', null),
  ];
  const removed = (keepVersions: number | null, keepDays: number | null) => expiredReleases(releases, { keepVersions, keepDays }, now).map((e) => e.release.version);
  assert.deepEqual(removed(null, null), [], 'no limits keep everything');
  // Order: 2.0.0-rc.2 (yanked) > 2.0.0-rc.1 > 1.10.0 > 1.9.0; the draft 3.0.0 takes no place.
  assert.deepEqual(removed(2, null), ['1.10.0', '1.9.0']);
  assert.deepEqual(removed(3, null), ['1.9.0']);
  // The newest published one (2.0.0-rc.1) stays even when the count is filled by a yanked release.
  assert.deepEqual(removed(1, null), ['1.10.0', '1.9.0']);
  assert.deepEqual(removed(null, 95), ['1.10.0', '1.9.0'], '2.0.0-rc.1 is older than 95 days but the newest published');
  assert.deepEqual(removed(null, 250), ['1.10.0']);
  assert.deepEqual(removed(2, 250), ['1.10.0'], 'kept by either limit');
  const [first] = expiredReleases(releases, { keepVersions: 2, keepDays: 250 }, now);
  assert.equal(first!.reason, 'retention: not among the newest 2 versions and published more than 250 days ago');
  assert.equal(expiredReleases(releases, { keepVersions: 1, keepDays: null }, now)[0]!.reason, 'retention: not the newest version');
  assert.equal(expiredReleases(releases, { keepVersions: null, keepDays: 1 }, now)[0]!.reason, 'retention: published more than 1 day ago');
  // The newest published release of every channel stays: a newer release candidate never takes the
  // files of the current stable release.
  const channels = [rel('1.9.0', 'published', daysAgo(200)), rel('1.8.0', 'published', daysAgo(300)), rel('2.0.0-rc.1', 'published', daysAgo(100), 'rc1', 'rc')];
  assert.deepEqual(expiredReleases(channels, { keepVersions: 1, keepDays: null }, now).map((e) => e.release.version), ['1.8.0']);
  // Versions equal but for build metadata: the later publication is the newer one.
  const builds = [rel('1.0.0+b1', 'published', daysAgo(10), 'a'), rel('1.0.0+b2', 'published', daysAgo(5), 'b')];
  assert.deepEqual(expiredReleases(builds, { keepVersions: 1, keepDays: null }, now).map((e) => e.release.version), ['1.0.0+b1']);
});

forEachDialect('release retention', (dialect) => {
  const ctx = useTestApp(dialect);
  let counter = 0;

  /** A release of the product, published now unless `status` says otherwise, with one artifact of unique bytes. */
  async function release(productId: string, version: string, status: 'draft' | 'published' | 'yanked' = 'published', channel = 'stable') {
    const api = ctx.api;
    const created = await api.post('/v1/releases', { productId, version, channel });
    assert.equal(created.status, 201, created.raw);
    if (status !== 'draft') assert.equal((await api.post(`/v1/releases/${created.body.id}/actions/publish`)).status, 200);
    if (status === 'yanked') assert.equal((await api.post(`/v1/releases/${created.body.id}/actions/yank`, { reason: 'bad build' })).status, 200);
    const bytes = Buffer.from(`artifact ${version} ${counter++} ${dialect}`);
    const uploaded = await api.call('PUT', `/v1/releases/${created.body.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=app-${version}.zip`, bytes, {
      'content-type': 'application/octet-stream',
    });
    assert.equal(uploaded.status, 201, uploaded.raw);
    return { release: created.body, artifact: uploaded.body, bytes };
  }

  type Made = Awaited<ReturnType<typeof release>>;

  const setRetention = async (productId: string, keepVersions: number | null, keepDays: number | null) => {
    const res = await ctx.api.call('PUT', `/v1/products/${productId}/retention`, { keepVersions, keepDays });
    assert.equal(res.status, 200, res.raw);
    return res.body;
  };
  const apply = async (productId: string) => {
    const res = await ctx.api.post(`/v1/products/${productId}/retention/actions/apply`);
    assert.equal(res.status, 200, res.raw);
    return res.body.removed as any[];
  };
  const artifactOf = async (made: Made) => (await ctx.api.get(`/v1/releases/${made.release.id}/artifacts`)).body.data[0];
  /** SHA-256 of every file in `<dataDir>/artifacts/objects`. */
  const storedFiles = async () => {
    const dir = path.join(ctx.t.deps.config.dataDir, 'artifacts', 'objects');
    const hashes = new Set<string>();
    for (const name of await readdir(dir)) {
      if ((await stat(path.join(dir, name))).isFile()) hashes.add(sha(await readFile(path.join(dir, name))));
    }
    return hashes;
  };
  /** Which of `made` are removed (listed with status removed, file gone) and which available (file there). */
  async function assertRemoved(removed: Made[], kept: Made[], reason?: string) {
    const files = await storedFiles();
    for (const m of removed) {
      const a = await artifactOf(m);
      assert.equal(a.status, 'removed', `${m.release.version} is removed`);
      assert.equal(a.removedAt, ctx.t.clock.now().toISOString());
      if (reason) assert.equal(a.removedReason, reason);
      assert.ok(!files.has(sha(m.bytes)), `the file of ${m.release.version} is gone`);
    }
    for (const m of kept) {
      const a = await artifactOf(m);
      assert.deepEqual([a.status, a.removedAt, a.removedReason], ['available', null, null], `${m.release.version} is kept`);
      assert.ok(files.has(sha(m.bytes)), `the file of ${m.release.version} is there`);
    }
  }
  const ids = (list: { id: string }[]) => list.map((a) => a.id).sort();

  test('settings: defaults, validation, audit; staff only to read', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    assert.deepEqual((await api.get(`/v1/products/${product.id}/retention`)).body, { productId: product.id, keepVersions: null, keepDays: null, updatedAt: null });
    for (const body of [{ keepVersions: 0, keepDays: null }, { keepVersions: 10_001, keepDays: null }, { keepVersions: null, keepDays: 36_501 }, { keepVersions: 1.5, keepDays: null }, { keepVersions: 3 }, { keepVersions: 3, keepDays: null, extra: 1 }]) {
      const res = await api.call('PUT', `/v1/products/${product.id}/retention`, body);
      assert.deepEqual([res.status, res.body.error.code], [400, 'VALIDATION_FAILED'], JSON.stringify(body));
    }
    const unknown = await api.call('PUT', '/v1/products/prod_nope/retention', { keepVersions: 3, keepDays: null });
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'NOT_FOUND']);
    assert.equal((await api.post('/v1/products/prod_nope/retention/actions/apply')).status, 404);

    const saved = await setRetention(product.id, 3, 90);
    assert.deepEqual(saved, { productId: product.id, keepVersions: 3, keepDays: 90, updatedAt: ctx.t.clock.now().toISOString() });
    assert.deepEqual((await api.get(`/v1/products/${product.id}/retention`)).body, saved);
    await setRetention(product.id, null, 30);
    const events = await api.get(`/v1/events?action=release.retention_changed&targetId=${product.id}`);
    assert.equal(events.body.data.length, 2);
    assert.deepEqual([events.body.data[0].before.keepVersions, events.body.data[0].after.keepVersions, events.body.data[0].after.keepDays], [3, null, 30]);

    const world = await factories.world(api);
    const member = await factories.signedInUser(api, ctx.t.app, 'customer-admin', world.customer.id);
    const asCustomer = await client(ctx.t.app, member.token).get(`/v1/products/${world.product.id}/retention`);
    assert.deepEqual([asCustomer.status, asCustomer.body.error.code], [403, 'FORBIDDEN']);
    const readOnly = await factories.signedInUser(api, ctx.t.app, 'read-only');
    assert.equal((await client(ctx.t.app, readOnly.token).get(`/v1/products/${world.product.id}/retention`)).status, 200);
  });

  test('keep the newest N versions only: semver precedence across channels, not publication order', async () => {
    const product = await factories.product(ctx.api);
    const v100 = await release(product.id, '1.0.0');
    const v1100 = await release(product.id, '1.10.0');
    const v120 = await release(product.id, '1.2.0');
    const beta = await release(product.id, '2.0.0-beta.1', 'published', 'beta');
    const v110 = await release(product.id, '1.1.0');
    ctx.t.clock.advanceDays(1000);
    assert.deepEqual(await apply(product.id), [], 'no settings, nothing removed');
    await setRetention(product.id, 2, null);
    const removed = await apply(product.id);
    assert.deepEqual(ids(removed), ids([v100.artifact, v110.artifact, v120.artifact]));
    for (const a of removed) assert.deepEqual([a.status, a.removedReason], ['removed', 'retention: not among the newest 2 versions']);
    await assertRemoved([v100, v110, v120], [beta, v1100], 'retention: not among the newest 2 versions');
  });

  test('keep versions newer than D days only; the newest published release is always kept', async () => {
    const product = await factories.product(ctx.api);
    const v100 = await release(product.id, '1.0.0');
    ctx.t.clock.advanceDays(30);
    const v110 = await release(product.id, '1.1.0');
    ctx.t.clock.advanceDays(50);
    const v120 = await release(product.id, '1.2.0');
    ctx.t.clock.advanceDays(20); // now: 100, 70 and 20 days after each publication
    await setRetention(product.id, null, 30);
    assert.deepEqual(ids(await apply(product.id)), ids([v100.artifact, v110.artifact]));
    await assertRemoved([v100, v110], [v120], 'retention: published more than 30 days ago');
    // A year on, 1.2.0 is old too, but it is the newest published release: it stays.
    ctx.t.clock.advanceDays(365);
    assert.deepEqual(await apply(product.id), []);
    await assertRemoved([], [v120]);
  });

  test('both limits: kept by either; yanked releases count and lose their files; drafts are never touched', async () => {
    const product = await factories.product(ctx.api);
    const draftLow = await release(product.id, '0.1.0', 'draft');
    const v100 = await release(product.id, '1.0.0');
    const yankedOld = await release(product.id, '1.0.1', 'yanked');
    const v110 = await release(product.id, '1.1.0');
    const v111 = await release(product.id, '1.1.1');
    ctx.t.clock.advanceDays(200);
    const recent = await release(product.id, '1.5.0'); // recent, not among the newest 2
    const v200 = await release(product.id, '2.0.0');
    const yankedTop = await release(product.id, '2.1.0', 'yanked');
    const draftTop = await release(product.id, '9.0.0', 'draft');
    ctx.t.clock.advanceDays(10);
    await setRetention(product.id, 2, 30);
    // The newest 2 among published and yanked: 2.1.0 (yanked, so 1.1.1 is out) and 2.0.0; 1.5.0 is 10 days old.
    assert.deepEqual(ids(await apply(product.id)), ids([v100.artifact, yankedOld.artifact, v110.artifact, v111.artifact]));
    await assertRemoved([v100, yankedOld, v110, v111], [yankedTop, v200, recent, draftLow, draftTop], 'retention: not among the newest 2 versions and published more than 30 days ago');
  });

  test('a second run removes nothing; a removed artifact is listed with its reason, its links answer 410, its events are audited', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'perpetual');
    const customer = await factories.customer(api);
    const license = await factories.license(api, policy.id, { customerId: customer.id });
    const old = await release(product.id, '1.0.0');
    const current = await release(product.id, '1.1.0');
    // Links made before the run, by staff and by key.
    const staffLink = await api.post(`/v1/artifacts/${old.artifact.id}/download-link`);
    const keyLink = await client(ctx.t.app, undefined).post(`/v1/artifacts/${old.artifact.id}/download-link/by-key`, { key: license.key });
    assert.equal(staffLink.status, 200, staffLink.raw);
    assert.equal(keyLink.status, 200, keyLink.raw);
    await setRetention(product.id, 1, null);
    assert.deepEqual(ids(await apply(product.id)), [old.artifact.id]);
    assert.deepEqual(await apply(product.id), [], 'idempotent');
    await ctx.t.services.retention.sweep();
    assert.equal((await api.get(`/v1/events?action=artifact.removed&targetId=${old.artifact.id}`)).body.data.length, 1, 'one audit event, however many runs');

    const listed = (await api.get(`/v1/releases/${old.release.id}/artifacts`)).body.data;
    assert.deepEqual(
      listed.map((a: any) => [a.id, a.status, a.removedReason, a.sha256]),
      [[old.artifact.id, 'removed', 'retention: not the newest version', old.artifact.sha256]],
      'the record stays, with the reason',
    );
    const event = (await api.get(`/v1/events?action=artifact.removed&targetId=${old.artifact.id}`)).body.data[0];
    assert.deepEqual([event.before.status, event.after.status, event.after.removedReason], ['available', 'removed', 'retention: not the newest version']);

    for (const res of [
      await api.post(`/v1/artifacts/${old.artifact.id}/download-link`),
      await client(ctx.t.app, undefined).post(`/v1/artifacts/${old.artifact.id}/download-link/by-key`, { key: license.key }),
    ]) {
      assert.deepEqual([res.status, res.body.error.code], [410, 'ARTIFACT_REMOVED'], res.raw);
      assert.equal(res.body.error.details.removedReason, 'retention: not the newest version');
    }
    for (const link of [staffLink.body.url, keyLink.body.url]) {
      const url = new URL(link);
      const res = await client(ctx.t.app, undefined).get(url.pathname + url.search);
      assert.deepEqual([res.status, res.body.error.code], [410, 'ARTIFACT_REMOVED']);
    }
    // The kept release still downloads.
    const ok = await api.post(`/v1/artifacts/${current.artifact.id}/download-link`);
    const file = await ctx.t.app.inject({ method: 'GET', url: new URL(ok.body.url).pathname + new URL(ok.body.url).search });
    assert.equal(file.statusCode, 200);
    assert.ok(file.rawPayload.equals(current.bytes));
  });

  test('a file that cannot be deleted is logged, the artifact stays removed (not available again) and the run answers', async () => {
    const product = await factories.product(ctx.api);
    const old = await release(product.id, '1.0.0');
    await release(product.id, '1.1.0');
    const { storage_key: key } = await ctx.t.deps.database.db.selectFrom('artifacts').select('storage_key').where('id', '=', old.artifact.id).executeTakeFirstOrThrow();
    // A directory where the file was: the storage driver's delete fails on it.
    const where = path.join(ctx.t.deps.config.dataDir, 'artifacts', 'objects', key);
    await rm(where);
    await mkdir(path.join(where, 'blocker'), { recursive: true });
    await setRetention(product.id, 1, null);
    // The same database served by an app whose error log is captured.
    const lines: string[] = [];
    const logged = await buildApp(ctx.t.deps, { logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } } });
    try {
      const removed = await logged.services.retention.apply({ actor: SYSTEM_ACTOR }, product.id);
      assert.deepEqual(ids(removed), [old.artifact.id]);
    } finally {
      await logged.app.close();
    }
    assert.ok((await stat(where)).isDirectory(), 'the delete did fail');
    assert.equal(lines.length, 1, lines.join(''));
    assert.match(lines[0]!, new RegExp(`artifact ${old.artifact.id} was removed but its file \\(storage key ${key}\\) could not be deleted`));
    assert.equal((await artifactOf(old)).status, 'removed');
    assert.deepEqual(await apply(product.id), []);
    await rm(where, { recursive: true });
  });

  test('the daily job `releases.retention` runs from the schedule through the worker', async () => {
    const { worker } = ctx.t.services;
    const product = await factories.product(ctx.api);
    const old = await release(product.id, '1.0.0');
    const current = await release(product.id, '1.1.0');
    await setRetention(product.id, 1, null);
    await worker.drain(); // records the schedules; nothing of retention is due yet
    assert.equal((await artifactOf(old)).status, 'available');
    const schedule = (await worker.listSchedules()).find((s) => s.name === RETENTION_JOB);
    assert.ok(schedule, 'scheduled');
    ctx.t.clock.set(new Date(Date.parse(schedule.nextRunAt) + 1000));
    await worker.drain();
    await assertRemoved([old], [current], 'retention: not the newest version');
    const jobs = (await ctx.api.get(`/v1/jobs?type=${RETENTION_JOB}`)).body.data;
    assert.ok(jobs.some((j: any) => j.status === 'done'), JSON.stringify(jobs));
    const event = (await ctx.api.get(`/v1/events?action=artifact.removed&targetId=${old.artifact.id}`)).body.data[0];
    assert.equal(event.actor.type, 'system');
  });
});
