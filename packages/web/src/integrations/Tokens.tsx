import { useState, type FormEvent } from 'react';
import { api, isStaffRole, type Role } from '../api/api.js';
import { can, grantableRoles, mayGrant, useSession } from '../session.js';
import { ErrorMessage, formatDate, messageOf, PagedTable, Show, useLoad, usePagedList } from '../ui/ui.js';
import { adminApi, type ApiToken } from '../api/admin.js';
import { formatDateTime } from '../ui/format.js';
import { SecretOnce } from '../ui/SecretOnce.js';

/** API tokens for integrations: the list, a new token (its secret shown once) and revoke. */
export function Tokens() {
  const { me } = useSession();
  const mayWrite = can(me, 'tokens:write');
  const list = usePagedList((cursor) => adminApi.listTokens(cursor), 'tokens');
  const customers = useLoad(() => api.listCustomers(), 'customers');
  const grantable = grantableRoles(me);
  const staff = (role: Role) => me != null && isStaffRole(me, role);
  const [newRole, setNewRole] = useState<Role>('read-only');
  const [created, setCreated] = useState<(ApiToken & { token: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [formOpen, setFormOpen] = useState(false);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const days = String(form.get('expiresInDays') ?? '').trim();
    const customerId = String(form.get('customerId') ?? '');
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const token = await adminApi.createToken({
        name: String(form.get('name')).trim(),
        role: newRole,
        ...(!staff(newRole) && customerId ? { customerId } : {}),
        ...(days ? { expiresInDays: Number(days) } : {}),
      });
      setCreated(token);
      setFormOpen(false);
      formElement.reset();
      setNewRole('read-only');
      list.first.reload();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(token: ApiToken) {
    setBusy(true);
    setRevokeError(null);
    setNotice(null);
    try {
      await adminApi.revokeToken(token.id);
      setConfirm(null);
      setNotice(`Revoked “${token.name}”: it no longer works.`);
      list.first.reload();
    } catch (caught) {
      setRevokeError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  const customerName = (id: string | null) => (id === null ? 'all data' : (customers.data?.find((customer) => customer.id === id)?.name ?? id));

  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">API tokens</h1>
      <p className="hint">
        Tokens let your own systems call the API (<code>Authorization: Bearer …</code>) with a role of their own. Keyhaven keeps only a digest of each token.
      </p>
      {created ? <SecretOnce title={`Token “${created.name}” created`} what="token" secret={created.token} onDone={() => setCreated(null)} /> : null}
      {mayWrite ? (
        <details className="card" open={formOpen} onToggle={(event) => setFormOpen(event.currentTarget.open)}>
          <summary>New token</summary>
          <form className="stack-form" onSubmit={(event) => void create(event)} aria-label="New API token">
            <div className="row">
              <label>
                Name
                <input name="name" required maxLength={200} placeholder="CRM sync" autoComplete="off" />
              </label>
              <label>
                Role
                <select name="role" value={newRole} onChange={(event) => setNewRole(event.target.value as Role)}>
                  {grantable.map((candidate) => (
                    <option key={candidate}>{candidate}</option>
                  ))}
                </select>
              </label>
              <label>
                Expires in days <span className="hint">(empty: never)</span>
                <input name="expiresInDays" type="number" min={1} max={3650} step={1} />
              </label>
            </div>
            {staff(newRole) ? (
              <p className="hint">A staff role sees every customer&apos;s data that role may see.</p>
            ) : (
              <Show loaded={customers}>
                {(list) => (
                  <label>
                    Customer <span className="hint">(a customer role reaches only this organization)</span>
                    <select name="customerId" required defaultValue="">
                      <option value="" disabled>
                        Choose a customer
                      </option>
                      {list.map((customer) => (
                        <option key={customer.id} value={customer.id}>
                          {customer.name}
                        </option>
                      ))}
                    </select>
                  </label>
                )}
              </Show>
            )}
            {error ? <ErrorMessage message={error} /> : null}
            <div>
              <button type="submit" className="primary" disabled={busy}>
                Create token
              </button>
            </div>
          </form>
        </details>
      ) : null}
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {revokeError ? <ErrorMessage message={revokeError} /> : null}
      <PagedTable
        list={list}
        label="API tokens"
        empty="No API tokens yet."
        columns={['Name', 'Role', 'Scope', 'Created', 'Last used', 'Expires', mayWrite ? <span className="visually-hidden">Actions</span> : null]}
        row={(token) => (
          <tr key={token.id}>
            <td>
              {token.name} <span className="hint">…{token.hint}</span>
            </td>
            <td>{token.role}</td>
            <td>{customerName(token.customerId)}</td>
            <td>{formatDate(token.createdAt)}</td>
            <td>{formatDateTime(token.lastUsedAt, 'never')}</td>
            <td>{token.revokedAt ? <span className="badge badge-revoked">revoked {formatDate(token.revokedAt)}</span> : formatDate(token.expiresAt, 'never')}</td>
            {mayWrite ? (
              <td>
                {token.revokedAt || !mayGrant(me, token.role) ? null : confirm === token.id ? (
                  <span className="inline-actions">
                    <span>Revoke for good? </span>
                    <button type="button" className="danger" disabled={busy} onClick={() => void revoke(token)}>
                      Yes, revoke
                    </button>{' '}
                    <button type="button" onClick={() => setConfirm(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button type="button" className="danger" disabled={busy} aria-label={`Revoke ${token.name}`} onClick={() => setConfirm(token.id)}>
                    Revoke…
                  </button>
                )}
              </td>
            ) : null}
          </tr>
        )}
      />
    </section>
  );
}
