import { useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { api } from '../api/api.js';
import { ErrorMessage, messageOf } from '../ui/ui.js';
import { useIsOrgAdmin } from './portal-ui.js';

const LABEL = 'KEYHAVEN ACTIVATION REQUEST';
const MAX_CHARS = 20_000;

/** What the request says about its machine (name, host name), read from the armoured block; null when unreadable. */
export function describeRequest(text: string): { name?: string; hostname?: string; platform?: string } | null {
  const match = new RegExp(`-----BEGIN ${LABEL}-----([\\s\\S]*?)-----END ${LABEL}-----`).exec(text);
  if (!match?.[1]) return null;
  try {
    const parsed = JSON.parse(atob(match[1].replace(/\s+/g, ''))) as Record<string, unknown>;
    const pick = (field: string) => (typeof parsed[field] === 'string' ? { [field]: parsed[field] as string } : {});
    return { ...pick('name'), ...pick('hostname'), ...pick('platform') };
  } catch {
    return null;
  }
}

/** A safe file name for the license file, after the machine it is bound to. */
function fileNameFor(machine: { name?: string; hostname?: string } | null): string {
  const base = (machine?.name ?? machine?.hostname ?? 'machine').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'machine';
  return `keyhaven-license-${base}.lic`;
}

/**
 * Offline activation: the customer uploads (or pastes) the activation request file an application wrote on a
 * machine without network, the machine takes a seat (`POST /v1/machines/offline-activations`, needs
 * `machines:write`: organization admins), and the answer is a license file to carry back to it.
 */
export function PortalOffline() {
  const isAdmin = useIsOrgAdmin();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ file: string; url: string; name: string } | null>(null);

  // The object URL of the last license file is released when a new one replaces it or the page closes.
  useEffect(() => () => (result ? URL.revokeObjectURL(result.url) : undefined), [result]);

  async function chooseFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.currentTarget.files?.[0];
    setError(null);
    if (!file) return;
    if (file.size > MAX_CHARS) {
      setError('This file is too large for an activation request; choose the file the application wrote.');
      return;
    }
    setText(await file.text());
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setResult(null);
    if (!text.includes(`-----BEGIN ${LABEL}-----`)) {
      setError(`This is not an activation request: the file must contain a “${LABEL}” block, as the application writes it.`);
      return;
    }
    setBusy(true);
    try {
      const file = await api.offlineActivation(text.trim() + '\n');
      const url = URL.createObjectURL(new Blob([file], { type: 'text/plain' }));
      setResult({ file, url, name: fileNameFor(describeRequest(text)) });
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  const machine = text ? describeRequest(text) : null;
  return (
    <section aria-labelledby="offline-title">
      <h1 id="offline-title">Offline activation</h1>
      <p>
        For a computer without network: the application writes an <strong>activation request</strong> file. Upload it here; the machine takes a seat on
        your license and you get a <strong>license file</strong> to copy back to that computer.
      </p>
      {!isAdmin ? (
        <p className="notice">Activating machines needs an administrator of your organization; ask one if the server refuses.</p>
      ) : null}
      <form className="card stack" onSubmit={submit} aria-labelledby="offline-form-title">
        <h2 id="offline-form-title">Activation request</h2>
        <label>
          Request file
          <input type="file" name="file" accept=".txt,.req,text/plain" onChange={(event) => void chooseFile(event)} />
        </label>
        <label>
          Or paste the request
          <textarea
            name="request"
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
            maxLength={MAX_CHARS}
            spellCheck={false}
            placeholder={`-----BEGIN ${LABEL}-----\n…\n-----END ${LABEL}-----`}
          />
        </label>
        {machine && (machine.name || machine.hostname) ? (
          <p className="hint" data-testid="request-machine">
            Machine: {[machine.name, machine.hostname, machine.platform].filter(Boolean).join(' · ')}
          </p>
        ) : null}
        {error ? <ErrorMessage message={error} /> : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || text.trim() === ''}>
            {busy ? 'Activating…' : 'Activate and get the license file'}
          </button>
        </div>
      </form>
      {result ? (
        <div className="card stack" role="status" aria-live="polite">
          <h2>License file ready</h2>
          <p className="success">The machine is activated. Copy this file to it; the application reads it without network.</p>
          <p>
            <a href={result.url} download={result.name} className="button-link">
              Download license file ({result.name})
            </a>
          </p>
          <label>
            License file
            <textarea readOnly value={result.file} rows={8} />
          </label>
        </div>
      ) : null}
    </section>
  );
}
