import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Executor } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { client, factories, forEachDialect, useTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { postWebhook } from './sender.js';
import { verifyWebhookSignature } from './signature.js';
import { Worker } from '../jobs/worker.js';
import { DISABLE_AFTER_FAILING_MS, MAX_EVENT_ATTEMPTS, RETRY_SCHEDULE_MS } from './delivery-attempt.js';
import { installJobs } from '../../wiring.js';

/**
 * What a receiver does: the `verify` of the README's Node receiver, line for line (not the server's helper),
 * with the clock passed in: parse the header, recompute the HMAC over "<t>.<raw body>", compare in
 * constant time, refuse timestamps more than 5 minutes away.
 */
function receiverVerifies(secret: string, header: string | undefined, rawBody: string | Buffer, nowMs: number, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) return false;
  if (Math.abs(Math.floor(nowMs / 1000) - Number(t)) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex'));
  return signatures.some((s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), expected));
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; body?: string } | 'hang';

/** A real HTTP receiver on 127.0.0.1 and a free port; `answer` decides each response (default 200). */
async function startReceiver(answer: (request: Received, n: number) => Answer = () => ({ status: 200, body: 'ok' })) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const reply = answer(request, received.length);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': 'text/plain' });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/keyhaven`,
    port,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port nothing listens on (connection refused). */
async function deadUrl(): Promise<string> {
  const receiver = await startReceiver();
  await receiver.close();
  return receiver.url;
}

forEachDialect('webhooks', (dialect) => {
  // The receivers listen on 127.0.0.1: this suite opts in to private addresses, as an operator would.
  const ctx = useTestApp(dialect, { config: { webhookAllowPrivate: true } });
  let t: TestApp;
  let api: Client;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let world: Awaited<ReturnType<typeof factories.world>>;

  before(async () => {
    t = ctx.t;
    api = ctx.api;
    receiver = await startReceiver();
    world = await factories.world(api);
    await t.services.worker.drain();
  });
  after(async () => receiver?.close());

  const drain = () => t.services.worker.drain();
  const now = () => t.clock.now().getTime();

  async function createEndpoint(body: Record<string, unknown>) {
    const res = await api.post('/v1/webhook-endpoints', body);
    assert.equal(res.status, 201, res.raw);
    return res.body as { id: string; secret: string; [k: string]: unknown };
  }

  async function deliveries(endpointId: string, query = '') {
    const res = await api.get(`/v1/webhook-endpoints/${endpointId}/deliveries${query}`);
    assert.equal(res.status, 200, res.raw);
    return res.body.data as any[];
  }

  test('createLicense → a signed license.created event arrives at a real receiver; no key in it', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['license.created'], description: 'CRM' });
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.equal(endpoint.enabled, true);
    assert.deepEqual(endpoint.events, ['license.created']);
    const start = receiver.received.length;
    const license = await factories.license(api, world.policy.id, { customerId: world.customer.id });
    // The API only wrote rows: nothing is sent until the worker runs.
    assert.equal(receiver.received.length, start);
    const [pending] = await deliveries(endpoint.id);
    assert.equal(pending.status, 'pending');
    assert.equal(pending.eventType, 'license.created');
    await drain();
    const got = receiver.received.slice(start);
    assert.equal(got.length, 1, 'exactly one request');
    const request = got[0]!;

    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['user-agent'], 'Keyhaven-Webhooks/1');
    assert.equal(request.headers['keyhaven-webhook-id'], pending.id);
    const header = request.headers['keyhaven-signature'] as string;
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    // Verified as a receiver does, and with the exported helper; the wrong secret, a changed body or an old timestamp fail.
    assert.ok(receiverVerifies(endpoint.secret, header, request.body, now()));
    assert.ok(verifyWebhookSignature(endpoint.secret, header, request.body, 300, now()));
    assert.ok(verifyWebhookSignature(endpoint.secret, header, Buffer.from(request.body), 300, t.clock.now()));
    assert.equal(receiverVerifies(`${endpoint.secret}x`, header, request.body, now()), false);
    assert.equal(verifyWebhookSignature(`${endpoint.secret}x`, header, request.body, 300, now()), false);
    assert.equal(receiverVerifies(endpoint.secret, header, request.body.replace('license.created', 'license.revoked'), now()), false);
    assert.equal(verifyWebhookSignature(endpoint.secret, header, `${request.body} `, 300, now()), false);
    assert.equal(receiverVerifies(endpoint.secret, header, request.body, now() + 301_000), false, 'a replay after 5 minutes');
    assert.equal(verifyWebhookSignature(endpoint.secret, header, request.body, 300, now() + 301_000), false);
    assert.equal(verifyWebhookSignature(endpoint.secret, undefined, request.body), false);
    assert.equal(verifyWebhookSignature(endpoint.secret, 'v1=abc', request.body), false);

    const payload = JSON.parse(request.body);
    const [event] = (await api.get(`/v1/events?action=license.created&targetId=${license.id}`)).body.data;
    assert.equal(request.headers['keyhaven-event-id'], event.id);
    assert.deepEqual(Object.keys(payload).sort(), ['createdAt', 'data', 'id', 'type']);
    assert.equal(payload.id, event.id);
    assert.equal(payload.type, 'license.created');
    assert.equal(payload.createdAt, t.clock.now().toISOString());
    assert.deepEqual(payload.data.target, { type: 'license', id: license.id });
    assert.equal(payload.data.customerId, world.customer.id);
    assert.deepEqual(payload.data.actor, { type: 'admin-token', id: null });
    assert.equal(payload.data.before, null);
    assert.equal(payload.data.after.id, license.id);
    assert.equal(payload.data.after.policyId, world.policy.id);
    // The license key never leaves in a webhook (nor in the audit event it comes from).
    const canonical = String(license.key).replace(/-/g, '');
    assert.ok(!request.body.includes(license.key) && !request.body.includes(canonical), 'no license key in the payload');
    assert.ok(!JSON.stringify(event).includes(canonical), 'no license key in the audit event');

    const detail = await api.get(`/v1/webhook-deliveries/${pending.id}`);
    assert.equal(detail.status, 200, detail.raw);
    assert.equal(detail.body.status, 'delivered');
    assert.equal(detail.body.attemptCount, 1);
    assert.deepEqual(detail.body.payload, payload);
    assert.equal(detail.body.attempts.length, 1);
    assert.deepEqual({ ...detail.body.attempts[0], durationMs: 0 }, { attempt: 1, at: t.clock.now().toISOString(), statusCode: 200, responseBody: 'ok', durationMs: 0, error: null, success: true });
    const healthy = (await api.get(`/v1/webhook-endpoints/${endpoint.id}`)).body;
    assert.equal(healthy.lastSuccessAt, t.clock.now().toISOString());
    assert.equal(healthy.consecutiveFailures, 0);
    assert.equal((await api.delete(`/v1/webhook-endpoints/${endpoint.id}`)).status, 204);
  });

  test('a rolled-back change sends nothing; a committed one does (the outbox is the change transaction)', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['customer.updated'] });
    const { db } = t.deps.database;
    const record = (executor: Executor, targetId: string) =>
      t.services.events.record(executor, { actor: SYSTEM_ACTOR }, { action: 'customer.updated', targetType: 'customer', targetId, after: { id: targetId } });
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await record(trx, 'cus_rolled_back');
        throw new Error('the change fails after its event');
      }),
      /the change fails/,
    );
    const jobsBefore = (await t.services.jobs.list({ type: 'webhook.deliver', limit: 100 })).data.length;
    assert.deepEqual(await deliveries(endpoint.id), [], 'no delivery row survives the rollback');
    const start = receiver.received.length;
    await drain();
    assert.equal(receiver.received.length, start, 'nothing sent');

    await db.transaction().execute((trx) => record(trx, 'cus_committed'));
    assert.equal((await t.services.jobs.list({ type: 'webhook.deliver', limit: 100 })).data.length, jobsBefore + 1);
    await drain();
    assert.equal(receiver.received.length, start + 1);
    assert.equal(JSON.parse(receiver.received.at(-1)!.body).data.target.id, 'cus_committed');
    await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
  });

  test('a receiver answering 500, then 200: retried after the backoff and delivered; every attempt logged', async () => {
    let calls = 0;
    const flaky = await startReceiver(() => (++calls === 1 ? { status: 500, body: 'boom: '.padEnd(3000, 'x') } : { status: 204 }));
    try {
      const endpoint = await createEndpoint({ url: flaky.url, events: ['customer.created'] });
      const customer = await factories.customer(api);
      await drain();
      assert.equal(flaky.received.length, 1);
      let [delivery] = await deliveries(endpoint.id);
      assert.equal(delivery.status, 'pending');
      assert.equal(delivery.attemptCount, 1);
      assert.equal(delivery.lastStatusCode, 500);
      assert.equal(delivery.lastError, 'HTTP 500');
      assert.equal(Date.parse(delivery.nextAttemptAt), now() + RETRY_SCHEDULE_MS[0]!);
      let health = (await api.get(`/v1/webhook-endpoints/${endpoint.id}`)).body;
      assert.equal(health.consecutiveFailures, 1);
      assert.equal(health.failingSince, t.clock.now().toISOString());

      await drain();
      assert.equal(flaky.received.length, 1, 'not before the backoff');
      t.clock.advance(RETRY_SCHEDULE_MS[0]! - 1000);
      await drain();
      assert.equal(flaky.received.length, 1, 'not before the backoff');
      t.clock.advance(1000);
      await drain();
      assert.equal(flaky.received.length, 2);
      [delivery] = await deliveries(endpoint.id);
      assert.equal(delivery.status, 'delivered');
      assert.deepEqual(await deliveries(endpoint.id, '?status=pending'), []);
      assert.equal((await deliveries(endpoint.id, '?status=delivered')).length, 1);
      // Both attempts: the same delivery id and body, each signed at its own time.
      const [first, second] = flaky.received;
      assert.equal(first!.headers['keyhaven-webhook-id'], delivery.id);
      assert.equal(second!.headers['keyhaven-webhook-id'], delivery.id);
      assert.equal(first!.body, second!.body);
      assert.equal(JSON.parse(second!.body).data.target.id, customer.id);
      assert.notEqual(first!.headers['keyhaven-signature'], second!.headers['keyhaven-signature']);
      assert.ok(receiverVerifies(endpoint.secret, second!.headers['keyhaven-signature'] as string, second!.body, now()));

      const detail = (await api.get(`/v1/webhook-deliveries/${delivery.id}`)).body;
      assert.equal(detail.attempts.length, 2);
      const [a1, a2] = detail.attempts;
      assert.equal(a1.attempt, 1);
      assert.equal(a1.statusCode, 500);
      assert.equal(a1.success, false);
      assert.equal(a1.error, 'HTTP 500');
      assert.equal(a1.responseBody.length, 1024, 'the answer is kept up to 1 KiB');
      assert.ok(a1.responseBody.startsWith('boom: xxx'));
      assert.equal(typeof a1.durationMs, 'number');
      assert.equal(a2.attempt, 2);
      assert.equal(a2.statusCode, 204);
      assert.equal(a2.success, true);
      assert.equal(Date.parse(a2.at) - Date.parse(a1.at), RETRY_SCHEDULE_MS[0]);
      health = (await api.get(`/v1/webhook-endpoints/${endpoint.id}`)).body;
      assert.equal(health.consecutiveFailures, 0);
      assert.equal(health.failingSince, null);
      await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
    } finally {
      await flaky.close();
    }
  });

  test('a dead receiver: the delivery fails after the whole schedule and the endpoint is disabled, with an event', async () => {
    const dead = await createEndpoint({ url: await deadUrl(), events: ['product.updated'] });
    const watcher = await createEndpoint({ url: receiver.url, events: ['webhook_endpoint.disabled'] });
    const start = receiver.received.length;
    assert.equal((await api.patch(`/v1/products/${world.product.id}`, { description: 'Webhook test' })).status, 200);
    const firstAttemptAt = now();
    await drain();
    for (let attempt = 1; attempt < MAX_EVENT_ATTEMPTS; attempt++) {
      const [delivery] = await deliveries(dead.id);
      assert.equal(delivery.status, 'pending', `after attempt ${attempt}`);
      assert.equal(delivery.attemptCount, attempt);
      assert.match(delivery.lastError, /ECONNREFUSED/);
      assert.equal((await api.get(`/v1/webhook-endpoints/${dead.id}`)).body.enabled, true);
      t.clock.advance(RETRY_SCHEDULE_MS[attempt - 1]!);
      await drain();
    }
    assert.ok(now() - firstAttemptAt >= DISABLE_AFTER_FAILING_MS, 'the schedule spans more than a day');
    const [failed] = await deliveries(dead.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attemptCount, MAX_EVENT_ATTEMPTS);
    assert.equal(failed.nextAttemptAt, null);
    const detail = (await api.get(`/v1/webhook-deliveries/${failed.id}`)).body;
    assert.deepEqual(detail.attempts.map((a: any) => a.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(detail.attempts.every((a: any) => a.success === false && a.statusCode === null && /ECONNREFUSED/.test(a.error)));

    const endpoint = (await api.get(`/v1/webhook-endpoints/${dead.id}`)).body;
    assert.equal(endpoint.enabled, false);
    assert.match(endpoint.disabledReason, /failed for more than 24 hours/);
    assert.equal(endpoint.disabledAt, t.clock.now().toISOString());
    assert.equal(endpoint.consecutiveFailures, MAX_EVENT_ATTEMPTS);
    const [event] = (await api.get(`/v1/events?action=webhook_endpoint.disabled&targetId=${dead.id}`)).body.data;
    assert.equal(event.actor.type, 'system');
    assert.equal(event.after.enabled, false);
    // Other endpoints hear about it.
    await drain();
    const told = receiver.received.slice(start).map((r) => JSON.parse(r.body));
    assert.deepEqual(told.map((p) => [p.type, p.data.target.id]), [['webhook_endpoint.disabled', dead.id]]);

    // A disabled endpoint gets no new deliveries; enabling it again clears the streak.
    await api.patch(`/v1/products/${world.product.id}`, { description: 'Webhook test 2' });
    assert.equal((await deliveries(dead.id)).length, 1);
    const enabled = await api.patch(`/v1/webhook-endpoints/${dead.id}`, { enabled: true });
    assert.equal(enabled.status, 200, enabled.raw);
    assert.equal(enabled.body.enabled, true);
    assert.equal(enabled.body.disabledReason, null);
    assert.equal(enabled.body.consecutiveFailures, 0);
    assert.equal(enabled.body.failingSince, null);
    await api.patch(`/v1/products/${world.product.id}`, { description: 'Webhook test 3' });
    assert.equal((await deliveries(dead.id)).length, 2);
    // Disabled by staff: pending deliveries fail at their turn without a request.
    const paused = await api.patch(`/v1/webhook-endpoints/${dead.id}`, { enabled: false });
    assert.match(paused.body.disabledReason, /Disabled by/);
    await drain();
    const [latest] = await deliveries(dead.id);
    assert.equal(latest.status, 'failed');
    assert.equal(latest.attemptCount, 0);
    assert.equal(latest.lastError, 'The endpoint is disabled');
    // Staff can still test the receiver of a disabled endpoint; manual attempts do not count toward its health.
    const streak = (await api.get(`/v1/webhook-endpoints/${dead.id}`)).body.consecutiveFailures;
    const ping = await api.post(`/v1/webhook-endpoints/${dead.id}/actions/test`);
    assert.equal(ping.status, 202, ping.raw);
    await drain();
    const pinged = (await api.get(`/v1/webhook-deliveries/${ping.body.id}`)).body;
    assert.equal(pinged.status, 'failed');
    assert.equal(pinged.attempts.length, 1);
    assert.match(pinged.attempts[0].error, /ECONNREFUSED/);
    assert.equal((await api.get(`/v1/webhook-endpoints/${dead.id}`)).body.consecutiveFailures, streak);
    await api.delete(`/v1/webhook-endpoints/${dead.id}`);
    await api.delete(`/v1/webhook-endpoints/${watcher.id}`);
  });

  test('redelivery: a new delivery of the same event, one attempt; the original stays', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['license.suspended'] });
    const license = await factories.license(api, world.policy.id);
    await api.post(`/v1/licenses/${license.id}/actions/suspend`);
    await drain();
    const [original] = await deliveries(endpoint.id);
    assert.equal(original.status, 'delivered');
    const start = receiver.received.length;
    const res = await api.post(`/v1/webhook-deliveries/${original.id}/actions/redeliver`);
    assert.equal(res.status, 202, res.raw);
    assert.equal(res.body.kind, 'redelivery');
    assert.equal(res.body.redeliveryOf, original.id);
    assert.equal(res.body.eventId, original.eventId);
    assert.equal(res.body.status, 'pending');
    assert.equal(res.body.maxAttempts, 1);
    assert.notEqual(res.body.id, original.id);
    await drain();
    const [again] = receiver.received.slice(start);
    assert.equal(receiver.received.length, start + 1);
    assert.equal(again!.headers['keyhaven-webhook-id'], res.body.id);
    assert.equal(again!.headers['keyhaven-event-id'], original.eventId);
    assert.deepEqual(JSON.parse(again!.body), (await api.get(`/v1/webhook-deliveries/${original.id}`)).body.payload);
    assert.ok(receiverVerifies(endpoint.secret, again!.headers['keyhaven-signature'] as string, again!.body, now()));
    assert.equal((await api.get(`/v1/webhook-deliveries/${res.body.id}`)).body.status, 'delivered');
    const unchanged = (await api.get(`/v1/webhook-deliveries/${original.id}`)).body;
    assert.equal(unchanged.attemptCount, 1);
    assert.equal(unchanged.updatedAt, original.updatedAt);
    const [audit] = (await api.get(`/v1/events?action=webhook_delivery.redelivered`)).body.data;
    assert.equal(audit.after.redeliveryOf, original.id);
    assert.equal((await api.post('/v1/webhook-deliveries/whd_nope/actions/redeliver')).status, 404);
    assert.equal((await api.get('/v1/webhook-deliveries/whd_nope')).status, 404);
    await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
    assert.equal((await api.get(`/v1/webhook-deliveries/${original.id}`)).status, 404, 'the log goes with its endpoint');
  });

  test('one attempt is made once, whatever the number of jobs asking for it', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['license.reinstated'] });
    const license = await factories.license(api, world.policy.id);
    await api.post(`/v1/licenses/${license.id}/actions/suspend`);
    await api.post(`/v1/licenses/${license.id}/actions/reinstate`);
    const [delivery] = await deliveries(endpoint.id);
    // Duplicate jobs for the same attempt (a duplicate enqueue, a job run twice), taken by two workers at
    // once (on PostgreSQL truly in parallel, on separate connections).
    for (let i = 0; i < 5; i++) await t.services.jobs.enqueue(t.deps.database.db, { type: 'webhook.deliver', payload: { deliveryId: delivery.id, attempt: 1 } });
    const second = new Worker({ db: t.deps.database.db, queue: t.services.jobs, clock: t.clock, concurrency: 3 });
    installJobs(second, t.services.webhookDeliveries.wiring());
    const start = receiver.received.length;
    await Promise.all([drain(), second.drain()]);
    assert.equal(receiver.received.filter((r) => r.headers['keyhaven-webhook-id'] === delivery.id).length, 1);
    assert.equal(receiver.received.length, start + 1);
    const detail = (await api.get(`/v1/webhook-deliveries/${delivery.id}`)).body;
    assert.equal(detail.attempts.length, 1);
    assert.equal(detail.status, 'delivered');
    await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
  });

  test('rotating the secret: the new one signs, the old one stops (or overlaps for a while)', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['license.created'] });
    const rotated = await api.post(`/v1/webhook-endpoints/${endpoint.id}/actions/rotate-secret`, {});
    assert.equal(rotated.status, 200, rotated.raw);
    const secret = rotated.body.secret as string;
    assert.match(secret, /^whsec_/);
    assert.notEqual(secret, endpoint.secret);
    assert.equal(rotated.body.secretHint, secret.slice(-4));
    assert.equal(rotated.body.previousSecretExpiresAt, null);
    const ping = await api.post(`/v1/webhook-endpoints/${endpoint.id}/actions/test`);
    assert.equal(ping.status, 202, ping.raw);
    assert.equal(ping.body.kind, 'test');
    assert.equal(ping.body.eventType, 'ping');
    let start = receiver.received.length;
    await drain();
    const [pinged] = receiver.received.slice(start);
    const body = JSON.parse(pinged!.body);
    assert.equal(body.type, 'ping');
    assert.deepEqual(body.data.target, { type: 'webhook_endpoint', id: endpoint.id });
    assert.equal(pinged!.headers['keyhaven-webhook-id'], ping.body.id);
    assert.ok(receiverVerifies(secret, pinged!.headers['keyhaven-signature'] as string, pinged!.body, now()));
    assert.equal(receiverVerifies(endpoint.secret, pinged!.headers['keyhaven-signature'] as string, pinged!.body, now()), false, 'the old secret no longer signs');
    const [audit] = (await api.get(`/v1/events?action=webhook_endpoint.secret_rotated&targetId=${endpoint.id}`)).body.data;
    assert.ok(!JSON.stringify(audit).includes(secret), 'the audit log never holds the secret');

    // With an overlap both secrets sign until it ends.
    const overlapped = await api.post(`/v1/webhook-endpoints/${endpoint.id}/actions/rotate-secret`, { overlapHours: 2 });
    assert.equal(Date.parse(overlapped.body.previousSecretExpiresAt), now() + 2 * 3_600_000);
    const newest = overlapped.body.secret as string;
    await factories.license(api, world.policy.id);
    start = receiver.received.length;
    await drain();
    let [signed] = receiver.received.slice(start);
    assert.match(signed!.headers['keyhaven-signature'] as string, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const s of [newest, secret]) assert.ok(verifyWebhookSignature(s, signed!.headers['keyhaven-signature'] as string, signed!.body, 300, now()));
    t.clock.advance(2 * 3_600_000 + 1000);
    await factories.license(api, world.policy.id);
    start = receiver.received.length;
    await drain();
    [signed] = receiver.received.slice(start);
    assert.match(signed!.headers['keyhaven-signature'] as string, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(receiverVerifies(newest, signed!.headers['keyhaven-signature'] as string, signed!.body, now()));
    assert.equal(receiverVerifies(secret, signed!.headers['keyhaven-signature'] as string, signed!.body, now()), false);
    assert.equal((await api.post('/v1/webhook-endpoints/whe_nope/actions/rotate-secret', {})).status, 404);
    // Like every route with a body, it wants one: `{}` rotates with no overlap.
    const bare = await api.call('POST', `/v1/webhook-endpoints/${endpoint.id}/actions/rotate-secret`);
    assert.equal(bare.status, 400, bare.raw);
    const plain = await api.post(`/v1/webhook-endpoints/${endpoint.id}/actions/rotate-secret`, {});
    assert.equal(plain.body.previousSecretExpiresAt, null);
    assert.notEqual(plain.body.secret, newest);
    await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
  });

  test('subscriptions: exact types, prefix.* and *; events nobody subscribed to make no delivery', async () => {
    const exact = await createEndpoint({ url: receiver.url, events: ['license.revoked'] });
    const prefix = await createEndpoint({ url: receiver.url, events: ['license.*'] });
    const all = await createEndpoint({ url: receiver.url });
    const other = await createEndpoint({ url: receiver.url, events: ['customer.deleted', 'machine.activated'] });
    assert.deepEqual(all.events, ['*']);
    const license = await factories.license(api, world.policy.id);
    await api.post(`/v1/licenses/${license.id}/actions/revoke`);
    const types = async (id: string) => (await deliveries(id)).map((d) => d.eventType).reverse();
    assert.deepEqual(await types(exact.id), ['license.revoked']);
    assert.deepEqual(await types(prefix.id), ['license.created', 'license.revoked']);
    assert.deepEqual((await types(all.id)).filter((type) => type.startsWith('license.')), ['license.created', 'license.revoked']);
    assert.ok((await types(all.id)).includes('webhook_endpoint.created'), '* means every audit action');
    assert.deepEqual(await types(other.id), []);
    // Changing the subscriptions takes effect for the next event.
    const changed = await api.patch(`/v1/webhook-endpoints/${other.id}`, { events: ['license.created', 'license.created'] });
    assert.deepEqual(changed.body.events, ['license.created']);
    await factories.license(api, world.policy.id);
    assert.deepEqual(await types(other.id), ['license.created']);
    assert.equal((await deliveries(exact.id, '?eventType=license.created')).length, 0);
    await drain();
    assert.equal((await deliveries(prefix.id, '?status=delivered')).length, 3);
    for (const e of [exact, prefix, all, other]) assert.equal((await api.delete(`/v1/webhook-endpoints/${e.id}`)).status, 204);
    assert.equal((await api.get(`/v1/webhook-endpoints/${all.id}`)).status, 404);
    assert.equal((await api.get(`/v1/webhook-endpoints/${all.id}/deliveries`)).status, 404);
  });

  test('secrets: shown once, stored encrypted, never in lists, gets or the audit log', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['customer.created'] });
    const list = await api.get('/v1/webhook-endpoints');
    assert.equal(list.status, 200);
    assert.ok(list.body.data.some((e: any) => e.id === endpoint.id));
    const got = await api.get(`/v1/webhook-endpoints/${endpoint.id}`);
    for (const text of [list.raw, got.raw, (await api.get('/v1/events?targetType=webhook_endpoint')).raw]) {
      assert.ok(!text.includes(endpoint.secret), 'the secret leaks');
      assert.ok(!text.includes('"secret"'));
    }
    assert.equal(got.body.secretHint, endpoint.secret.slice(-4));
    const row = await t.deps.database.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', endpoint.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(endpoint.secret.slice(6)), 'stored as ciphertext');
    assert.match(row.secret_ciphertext, /^v1\./);
    assert.equal(t.deps.keyring.decrypt('webhook-secret', row.secret_ciphertext).toString(), endpoint.secret);
    await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
  });

  test('the event catalogue lists the audit actions that exist', async () => {
    const res = await api.get('/v1/webhook-event-types');
    assert.equal(res.status, 200);
    const types = res.body.data.map((e: any) => e.type);
    for (const type of ['license.created', 'license.suspended', 'license.renewed', 'machine.activated', 'machine.overdraft_used', 'usage.exhausted', 'customer.created', 'ping']) {
      assert.ok(types.includes(type), type);
    }
    // Every action recorded in this run so far is in the catalogue.
    const seen = await t.deps.database.db.selectFrom('events').select('action').distinct().execute();
    const missing = seen.map((e) => e.action).filter((action) => !types.includes(action));
    assert.deepEqual(missing, [], 'actions missing from the catalogue');
  });

  test('customer users and staff without the permission cannot see or manage webhooks', async () => {
    const endpoint = await createEndpoint({ url: receiver.url, events: ['customer.created'] });
    const member = await factories.signedInUser(api, t.app, 'customer-member', world.customer.id);
    const admin = await factories.signedInUser(api, t.app, 'customer-admin', world.customer.id);
    const support = await factories.signedInUser(api, t.app, 'support');
    const owner = await factories.signedInUser(api, t.app, 'owner');
    const delivery = (await api.post(`/v1/webhook-endpoints/${endpoint.id}/actions/test`)).body as { id: string };
    const calls: [string, string, unknown?][] = [
      ['GET', '/v1/webhook-endpoints'],
      ['GET', `/v1/webhook-endpoints/${endpoint.id}`],
      ['POST', '/v1/webhook-endpoints', { url: receiver.url }],
      ['PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: false }],
      ['DELETE', `/v1/webhook-endpoints/${endpoint.id}`],
      ['POST', `/v1/webhook-endpoints/${endpoint.id}/actions/rotate-secret`, {}],
      ['POST', `/v1/webhook-endpoints/${endpoint.id}/actions/test`, {}],
      ['GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`],
      ['GET', `/v1/webhook-deliveries/${delivery!.id}`],
      ['POST', `/v1/webhook-deliveries/${delivery!.id}/actions/redeliver`, {}],
      ['GET', '/v1/webhook-event-types'],
    ];
    for (const user of [member, admin, support]) {
      for (const [method, url, body] of calls) {
        const res = await client(t.app, user.token).call(method, url, body);
        assert.equal(res.status, 403, `${method} ${url}: ${res.raw}`);
        assert.equal(res.body.error.code, 'FORBIDDEN');
      }
    }
    for (const [method, url] of calls.filter(([m]) => m === 'GET')) {
      assert.equal((await client(t.app, undefined).call(method, url)).status, 401);
    }
    // A signed-in owner may.
    assert.equal((await client(t.app, owner.token).get(`/v1/webhook-endpoints/${endpoint.id}`)).status, 200);
    await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
  });

  test('bad URLs and subscriptions are 400 VALIDATION_FAILED naming the field', async () => {
    const bad: [unknown, string][] = [
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:secret@example.com/hook' }, 'url'],
      [{ url: 'https://example.com/hook#frag' }, 'url'],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'url'],
      [{ url: 'http://[fe80::1]/' }, 'url'],
      [{ url: 'http://0.0.0.0:8080/' }, 'url'],
      [{ url: 'http://[::ffff:169.254.169.254]/' }, 'url'],
      [{ url: 'http://224.0.0.1/' }, 'url'],
      [{ url: `https://example.com/${'x'.repeat(2048)}` }, 'url'],
      [{}, 'url'],
      [{ url: 'https://example.com/hook', events: [] }, 'events'],
      [{ url: 'https://example.com/hook', events: ['License.Created'] }, 'events'],
      [{ url: 'https://example.com/hook', events: ['license.'] }, 'events'],
      [{ url: 'https://example.com/hook', events: ['*.created'] }, 'events'],
      [{ url: 'https://example.com/hook', secret: 'mine' }, 'secret'],
    ];
    for (const [body, field] of bad) {
      const res = await api.post('/v1/webhook-endpoints', body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${res.raw}`);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.ok(Object.keys(res.body.error.details.fields).some((f) => f === field || f.startsWith(`${field}.`)), `${JSON.stringify(body).slice(0, 80)}: ${res.raw}`);
    }
    const ok = await createEndpoint({ url: 'HTTPS://Example.COM:8443/hooks?source=keyhaven', events: ['license.*', 'customer.created'] });
    assert.equal(ok.url, 'https://example.com:8443/hooks?source=keyhaven');
    const patched = await api.patch(`/v1/webhook-endpoints/${ok.id}`, { url: 'gopher://example.com' });
    assert.equal(patched.status, 400);
    assert.equal((await api.patch(`/v1/webhook-endpoints/${ok.id}`, {})).status, 400);
    assert.equal((await api.patch('/v1/webhook-endpoints/whe_nope', { enabled: true })).status, 404);
    await api.delete(`/v1/webhook-endpoints/${ok.id}`);
  });

  test('a receiver that never answers: the API is not held up; the attempt times out', async () => {
    const slow = await startReceiver(() => 'hang');
    try {
      const endpoint = await createEndpoint({ url: slow.url, events: ['customer.created'] });
      const started = performance.now();
      await factories.customer(api);
      assert.ok(performance.now() - started < 1000, 'the change does not wait for the receiver');
      const running = drain();
      const result = await running;
      assert.ok(result >= 1);
      assert.equal(slow.received.length, 1);
      const [delivery] = await deliveries(endpoint.id);
      assert.equal(delivery.status, 'pending');
      assert.match(delivery.lastError, /timed out after 2000 ms/);
      await api.delete(`/v1/webhook-endpoints/${endpoint.id}`);
    } finally {
      await slow.close();
    }
  });
});

forEachDialect('webhooks with KEYHAVEN_WEBHOOK_ALLOW_PRIVATE=false', (dialect) => {
  const ctx = useTestApp(dialect, { config: { webhookAllowPrivate: false } });

  test('loopback and private addresses are refused when saved, and names resolving to them when sent', async () => {
    for (const url of ['http://127.0.0.1:9/hook', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://172.20.0.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://localhost:8080/', 'http://localhost.:8080/', 'http://api.localhost/', 'http://2130706433/']) {
      const res = await ctx.api.post('/v1/webhook-endpoints', { url });
      assert.equal(res.status, 400, `${url}: ${res.raw}`);
      assert.ok(res.body.error.details.fields.url, url);
    }
    const ok = await ctx.api.post('/v1/webhook-endpoints', { url: 'https://hooks.example.com/keyhaven' });
    assert.equal(ok.status, 201, ok.raw);

    // At send time the addresses DNS gives are checked too (a saved name may resolve elsewhere later): the
    // sender refuses to connect to a name that resolves to loopback.
    const receiver = await startReceiver();
    try {
      const refused = await postWebhook(`http://localhost:${receiver.port}/`, '{}', {}, { timeoutMs: 2000, allowPrivate: false });
      assert.equal(refused.success, false);
      assert.match(refused.error!, /refused: localhost resolves to .* loopback or private-network address/);
      assert.equal(receiver.received.length, 0);
      const allowed = await postWebhook(`http://localhost:${receiver.port}/`, '{}', {}, { timeoutMs: 2000, allowPrivate: true });
      assert.equal(allowed.success, true, allowed.error ?? '');
      assert.equal(receiver.received.length, 1);
    } finally {
      await receiver.close();
    }
  });
});

forEachDialect('webhooks with the default configuration', (dialect) => {
  // No override: what a server gets when KEYHAVEN_WEBHOOK_ALLOW_PRIVATE is not set.
  const ctx = useTestApp(dialect);

  test('private addresses are refused by default; IPv6 spellings of metadata and private IPv4 addresses are refused when saved', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://10.0.0.5/',
      'http://[::a9fe:a9fe]/latest/meta-data/',
      'http://[::169.254.169.254]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[64:ff9b::10.0.0.1]/',
      'http://[2002:a9fe:a9fe::1]/',
      'http://[2002:7f00:1::]/',
      'http://[::ffff:0:a9fe:a9fe]/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
    ]) {
      const res = await ctx.api.post('/v1/webhook-endpoints', { url });
      assert.deepEqual([res.status, res.body.error.code], [400, 'VALIDATION_FAILED'], `${url}: ${res.raw}`);
      assert.ok(res.body.error.details.fields.url, url);
    }
    const ok = await ctx.api.post('/v1/webhook-endpoints', { url: 'http://[64:ff9b::5db8:d822]/hook' });
    assert.equal(ok.status, 201, `NAT64 of a public address: ${ok.raw}`);
  });
});
