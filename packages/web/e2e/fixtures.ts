import assert from 'node:assert/strict';
import { client, type Client, type TestApp } from '../../server/src/testing/harness.js';

/**
 * Data the journeys set up through the API, beyond the server harness's `factories` (products, policies,
 * customers, licenses, users): machines, metered usage, releases with files, orders. Each asserts the API's
 * answer, so a fixture that failed stops the journey where it failed.
 */

/** Activates a machine on the license, as the licensed application would (the admin client answers 201 on a new one). */
export async function activateMachine(api: Client, key: string, machine: { fingerprint: string; name: string; hostname?: string }): Promise<void> {
  const activated = await api.post('/v1/machines/activate', { key, ...machine });
  assert.equal(activated.status, 201, activated.raw);
}

/** Records `amount` of a metered feature on the license, as the application does (no credential but the key). */
export async function useCredits(app: TestApp, key: string, feature: string, amount: number): Promise<void> {
  const spent = await client(app.app, undefined).post('/v1/usage', { key, feature, amount });
  assert.equal(spent.status, 200, spent.raw);
}

/** A draft release of the product; `extra` adds notes, channel, links. */
export async function createRelease(api: Client, productId: string, version: string, extra: Record<string, unknown> = {}): Promise<{ id: string; version: string }> {
  const created = await api.post('/v1/releases', { productId, version, ...extra });
  assert.equal(created.status, 201, created.raw);
  return created.body as { id: string; version: string };
}

/** Uploads a Linux x64 zip to the release. */
export async function uploadArtifact(api: Client, releaseId: string, fileName: string, bytes: Buffer): Promise<void> {
  const answer = await api.call('PUT', `/v1/releases/${releaseId}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=${fileName}`, bytes, {
    'content-type': 'application/octet-stream',
  });
  assert.equal(answer.status, 201, answer.raw);
}

export async function publishRelease(api: Client, releaseId: string): Promise<void> {
  const answer = await api.post(`/v1/releases/${releaseId}/actions/publish`, {});
  assert.equal(answer.status, 200, answer.raw);
}

/** An order as a shop sends it: the customer found or created, a license per item; its answer's body. */
export async function createOrder(api: Client, order: Record<string, unknown>) {
  const created = await api.post('/v1/orders', order);
  assert.equal(created.status, 201, created.raw);
  return created.body as { id: string; licenses: { key: string }[]; mailIds: string[] };
}
