import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SYSTEM_ACTOR } from '../http/access.js';
import { newId } from '../lib/ids.js';
import { ADMIN_TOKEN, client, factories, forEachDialect, useTestApp, type Client } from '../testing/harness.js';

/** A tiny RFC 4180 reader: quoted fields (with "" and line breaks inside), CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  assert.equal(row.length, 0, 'the last record ends with CRLF');
  return rows;
}

/** The CSV as objects keyed by the header's names. */
function records(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  assert.ok(header, 'a header row');
  for (const r of rows) assert.equal(r.length, header.length, 'every record has the header\'s width');
  return rows.map((r) => Object.fromEntries(header.map((name, i) => [name, r[i]!])));
}

async function collect(chunks: AsyncGenerator<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

const INJECTION = '=HYPERLINK("http://evil.example","click"), then "more"';

forEachDialect('CSV exports', (dialect) => {
  const ctx = useTestApp(dialect);
  let api: Client;
  let world: {
    product: any;
    policy: any;
    A: any;
    B: any;
    licensesA: any[];
    licensesB: any[];
    adminA: Client;
    partner: any;
    partnerAdmin: Client;
    partnerCustomer: any;
  };

  async function signIn(email: string, password: string): Promise<Client> {
    const res = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password });
    assert.equal(res.status, 200, res.raw);
    return client(ctx.t.app, res.body.token);
  }

  async function csv(who: Client, url: string): Promise<{ rows: Array<Record<string, string>>; raw: string; headers: Record<string, unknown> }> {
    const res = await who.get(url);
    assert.equal(res.status, 200, res.raw);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    return { rows: records(res.raw), raw: res.raw, headers: res.headers };
  }

  /** Every page of a list route, in order. */
  async function listAll(who: Client, url: string): Promise<any[]> {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await who.get(`${url}${url.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.raw);
      all.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    return all;
  }

  before(async () => {
    api = ctx.api;
    ctx.t.clock.set('2026-12-07T10:00:00.000Z');
    const stamp = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 3 });
    const A = await factories.customer(api, { name: INJECTION });
    const B = await factories.customer(api, { name: `Beta, "Quoted" Co ${stamp}` });
    const licensesA = [];
    for (let i = 0; i < 3; i++) licensesA.push(await factories.license(api, policy.id, { customerId: A.id, name: i === 0 ? '+SUM(1,2)' : `A license ${i}` }));
    const licensesB = [await factories.license(api, policy.id, { customerId: B.id }), await factories.license(api, policy.id, { customerId: B.id })];
    for (const [license, n] of [[licensesA[0], 2], [licensesB[0], 1]] as const) {
      for (let m = 0; m < n; m++) {
        const res = await client(ctx.t.app, undefined).post('/v1/machines/activate', { key: license.key, fingerprint: `fp-${license.id}-${m}`, name: m === 0 ? '@evil' : 'plain' });
        assert.equal(res.status, 201, res.raw);
      }
    }
    const order = (email: string, name: string) => ({
      externalId: `SHOP-${newId('x')}`,
      customer: { email, name, company: 'Acme, Inc.' },
      items: [
        { policyId: policy.id, quantity: 1, name: '-1 seat', price: 12_345, currency: 'eur' },
        { policyId: policy.id, quantity: 2, name: 'Two seats', price: 20_000, currency: 'eur' },
      ],
      billing: { paymentStatus: 'paid', purchaseMethod: 'web shop', reference: 'INV-1' },
    });
    for (const c of [A, B]) {
      const res = await api.post('/v1/orders', order(c.email, c.name));
      assert.equal(res.status, 201, res.raw);
    }
    const admin = await factories.signedInUser(api, ctx.t.app, 'customer-admin', A.id);
    const adminA = client(ctx.t.app, admin.token);

    const group = (await api.post('/v1/product-groups', { name: `Exports ${stamp}`, productIds: [product.id] })).body;
    const partner = (await api.post('/v1/partners', { name: `P ${stamp}`, grants: [{ productGroupId: group.id, rights: ['licenses:create', 'customers:create'] }] })).body;
    const partnerCustomer = await factories.customer(api, { partnerId: partner.id });
    if (partnerCustomer.partnerId !== partner.id) assert.equal((await api.patch(`/v1/customers/${partnerCustomer.id}`, { partnerId: partner.id })).status, 200);
    await factories.license(api, policy.id, { customerId: partnerCustomer.id });
    const email = `partner-admin-${stamp}@example.com`;
    assert.equal((await api.post('/v1/users', { email, password: 'correct horse battery', role: 'partner-admin', partnerId: partner.id })).status, 201);
    const partnerAdmin = await signIn(email, 'correct horse battery');
    world = { product, policy, A, B, licensesA, licensesB, adminA, partner, partnerAdmin, partnerCustomer };
  });

  test('exportLicenses: the list\'s rows and names, a dated attachment, filters, no key material', async () => {
    const { product, A, B, licensesA } = world;
    const { rows, raw, headers } = await csv(api, `/v1/licenses/export?productId=${product.id}`);
    assert.equal(headers['content-disposition'], 'attachment; filename="licenses-2026-12-07.csv"');
    const list = await listAll(api, `/v1/licenses?productId=${product.id}`);
    assert.deepEqual(rows.map((r) => r.license_id), list.map((l) => l.id), 'the same rows in the same order as the list');
    for (const [i, l] of list.entries()) {
      const r = rows[i]!;
      assert.equal(r.product_code, l.product);
      assert.equal(r.status, l.status);
      assert.equal(r.starts_at, l.startsAt);
      assert.equal(r.expires_at, l.expiresAt ?? '');
      assert.equal(r.active_machines, String(l.activeMachines));
      assert.equal(r.key_hint, l.keyHint);
      assert.equal(r.customer_id, l.customerId ?? '');
    }
    const ofB = rows.find((r) => r.customer_id === B.id)!;
    assert.equal(ofB.customer_name, B.name, 'commas and quotes survive the quoting');
    // Injection: the cells a spreadsheet would run start with a quote.
    const ofA = rows.find((r) => r.license_id === licensesA[0].id)!;
    assert.equal(ofA.customer_name, `'${INJECTION}`);
    assert.equal(ofA.name, "'+SUM(1,2)");
    assert.equal(ofA.active_machines, '2');
    for (const l of [...licensesA, ...world.licensesB]) assert.ok(!raw.includes(l.key), 'no license key in the export');
    assert.ok(!/digest|ciphertext/i.test(raw.split('\r\n')[0]!));

    assert.equal((await api.post(`/v1/licenses/${licensesA[1].id}/actions/revoke`, {})).status, 200);
    const revoked = await csv(api, `/v1/licenses/export?productId=${product.id}&status=revoked`);
    assert.deepEqual(revoked.rows.map((r) => r.license_id), [licensesA[1].id]);
    const byCustomer = await csv(api, `/v1/licenses/export?customerId=${A.id}`);
    assert.deepEqual(byCustomer.rows.map((r) => r.license_id), (await listAll(api, `/v1/licenses?customerId=${A.id}`)).map((l) => l.id));
    assert.ok(byCustomer.rows.length >= 3 && byCustomer.rows.every((r) => r.customer_id === A.id));
    // Bad input is a JSON 400 before any byte of CSV.
    const bad = await api.get('/v1/licenses/export?status=nonsense');
    assert.equal(bad.status, 400, bad.raw);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    const extra = await api.get('/v1/licenses/export?limit=5');
    assert.equal(extra.status, 400, 'no paging parameters on an export');
  });

  test('scope: a customer admin exports its organization only; a partner its own customers', async () => {
    const { A, B, adminA, partnerAdmin, partnerCustomer, product } = world;
    const licenses = await csv(adminA, '/v1/licenses/export');
    assert.ok(licenses.rows.length > 0);
    assert.ok(licenses.rows.every((r) => r.customer_id === A.id), 'none of B\'s licenses');
    assert.deepEqual(licenses.rows.map((r) => r.license_id), (await listAll(adminA, '/v1/licenses')).map((l) => l.id));
    const ofB = await csv(adminA, `/v1/licenses/export?customerId=${B.id}`);
    assert.equal(ofB.rows.length, 0);
    const customers = await csv(adminA, '/v1/customers/export');
    assert.deepEqual(customers.rows.map((r) => r.customer_id), [A.id]);
    const orders = await csv(adminA, '/v1/orders/export');
    assert.ok(orders.rows.length > 0 && orders.rows.every((r) => r.customer_id === A.id));
    const machines = await csv(adminA, '/v1/machines/export');
    assert.ok(machines.rows.length > 0 && machines.rows.every((r) => r.customer_id === A.id));

    const partnerLicenses = await csv(partnerAdmin, '/v1/licenses/export');
    assert.deepEqual(partnerLicenses.rows.map((r) => r.license_id), (await listAll(partnerAdmin, '/v1/licenses')).map((l) => l.id));
    assert.ok(partnerLicenses.rows.length > 0 && partnerLicenses.rows.every((r) => r.customer_id === partnerCustomer.id));
    const partnerCustomers = await csv(partnerAdmin, '/v1/customers/export');
    assert.deepEqual(partnerCustomers.rows.map((r) => r.customer_id), (await listAll(partnerAdmin, '/v1/customers')).map((c) => c.id));
    assert.ok(partnerCustomers.rows.every((r) => r.partner_id === world.partner.id));
    assert.ok(!partnerCustomers.rows.some((r) => r.customer_id === A.id || r.customer_id === B.id));
    // Staff filter by partner the way the list does.
    const staffView = await csv(api, `/v1/licenses/export?partnerId=${world.partner.id}&productId=${product.id}`);
    assert.deepEqual(staffView.rows.map((r) => r.license_id), partnerLicenses.rows.map((r) => r.license_id));
    // No token: the list's 401.
    assert.equal((await client(ctx.t.app, undefined).get('/v1/licenses/export')).status, 401);
  });

  test('exportMachines and exportOrders: one line per machine and per order line item, names from the other modules', async () => {
    const { licensesA, A, product } = world;
    const machines = await csv(api, `/v1/machines/export?licenseId=${licensesA[0].id}`);
    const list = await listAll(api, `/v1/machines?licenseId=${licensesA[0].id}`);
    assert.deepEqual(machines.rows.map((r) => r.machine_id), list.map((m) => m.id));
    assert.equal(machines.headers['content-disposition'], 'attachment; filename="machines-2026-12-07.csv"');
    for (const [i, m] of list.entries()) {
      const r = machines.rows[i]!;
      assert.equal(r.fingerprint, m.fingerprint);
      assert.equal(r.activated_at, m.activatedAt);
      assert.equal(r.lease_state, m.leaseState);
      assert.equal(r.license_name, "'+SUM(1,2)");
      assert.equal(r.product_code, product.code);
    }
    assert.ok(machines.rows.some((r) => r.name === "'@evil"));
    const q = await csv(api, `/v1/machines/export?licenseId=${licensesA[0].id}&q=plain`);
    assert.equal(q.rows.length, 1);

    const orders = await csv(api, `/v1/orders/export?customerId=${A.id}`);
    const orderList = await listAll(api, `/v1/orders?customerId=${A.id}`);
    const expected = orderList.flatMap((o) => o.items.map((item: any, i: number) => [o.id, String(i + 1), item.productId, item.licenseId ?? '', String(item.quantity)]));
    assert.deepEqual(orders.rows.map((r) => [r.order_id, r.line, r.product_id, r.license_id, r.quantity]), expected);
    const [first, second] = orders.rows;
    assert.equal(first!.item_name, "'-1 seat");
    assert.equal(first!.price, '123.45');
    assert.equal(second!.price, '200.00');
    assert.equal(first!.currency, 'EUR');
    assert.equal(first!.order_total, (orderList[0].total / 100).toFixed(2));
    assert.equal(first!.company, 'Acme, Inc.');
    assert.equal(first!.customer_name, `'${INJECTION}`);
    assert.equal(first!.product_code, product.code);
    assert.equal(first!.created_at, orderList[0].createdAt);
  });

  test('keyset paging has no gaps or duplicates: 2,500 customers through the route, small pages in the services', async () => {
    const stamp = `Paged ${Date.now().toString(36)}`;
    const db = ctx.t.deps.database.db;
    const at = '2026-12-01T00:00:00.000Z';
    const values = Array.from({ length: 2500 }, (_, i) => ({
      id: newId('cus'),
      name: `${stamp} ${i}`,
      email: `paged-${i}-${Date.now().toString(36)}@example.com`,
      contacts: '[]',
      notes: null,
      metadata: '{}',
      partner_id: null,
      created_at: at,
      updated_at: at,
    }));
    for (let i = 0; i < values.length; i += 500) await db.insertInto('customers').values(values.slice(i, i + 500)).execute();
    const exported = await csv(api, `/v1/customers/export?q=${encodeURIComponent(stamp)}`);
    const ids = exported.rows.map((r) => r.customer_id);
    assert.equal(ids.length, 2500);
    assert.equal(new Set(ids).size, 2500, 'no duplicates');
    assert.deepEqual(ids, values.map((v) => v.id).reverse(), 'every row, newest first');
    assert.deepEqual(ids, (await listAll(api, `/v1/customers?q=${encodeURIComponent(stamp)}`)).map((c) => c.id));

    // The other exports page the same way: pages of 2 against the list's answer.
    const system = { actor: SYSTEM_ACTOR };
    const s = ctx.t.services;
    const small = async (text: Promise<string>, idColumn: string) => records(await text).map((r) => r[idColumn]!);
    const licenseIds = await small(collect(s.licenses.exportCsv(system, { productId: world.product.id }, 2).chunks), 'license_id');
    assert.deepEqual(licenseIds, (await listAll(api, `/v1/licenses?productId=${world.product.id}`)).map((l) => l.id));
    const machineIds = await small(collect(s.machines.exportCsv(system, { licenseId: world.licensesA[0].id }, 1).chunks), 'machine_id');
    assert.equal(machineIds.length, 2);
    assert.equal(new Set(machineIds).size, 2);
    const orderIds = await small(collect(s.orders.exportCsv(system, {}, 1).chunks), 'order_id');
    const orderList = await listAll(api, '/v1/orders');
    assert.deepEqual(orderIds, orderList.flatMap((o) => o.items.map(() => o.id)));
  });

  test('an empty export is the header alone; a failure after the first page cuts the download short', async () => {
    const empty = await api.get('/v1/orders/export?email=nobody@example.com');
    assert.equal(empty.status, 200);
    assert.equal(parseCsv(empty.raw).length, 1);

    // The second page's read fails: the response ends (truncated), it does not hang.
    const customers = ctx.t.services.customers;
    const original = customers.exportCsv;
    customers.exportCsv = (c, f) => {
      const out = original.call(customers, c, f, 1);
      async function* failing(): AsyncGenerator<string> {
        let n = 0;
        for await (const chunk of out.chunks) {
          if (n++ === 1) throw new Error('database gone');
          yield chunk;
        }
      }
      return { ...out, chunks: failing() };
    };
    try {
      const res = await ctx.t.app.inject({ method: 'GET', url: '/v1/customers/export', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then(
        (r) => r,
        (e: unknown) => e as Error,
      );
      if (!(res instanceof Error)) {
        assert.equal(res.statusCode, 200, 'the first page went out');
        assert.ok(res.body.split('\r\n').filter(Boolean).length <= 2, 'header and one row at most: truncated');
      }
    } finally {
      customers.exportCsv = original;
    }
    // A failure before the first byte is a normal JSON error.
    customers.exportCsv = (c, f) => {
      const out = original.call(customers, c, f, 1);
      async function* failing(): AsyncGenerator<string> {
        throw new Error('database gone');
      }
      return { ...out, chunks: failing() };
    };
    try {
      const res = await api.get('/v1/customers/export');
      assert.equal(res.status, 500);
      assert.equal(res.body.error.code, 'INTERNAL');
    } finally {
      customers.exportCsv = original;
    }
  });
});
