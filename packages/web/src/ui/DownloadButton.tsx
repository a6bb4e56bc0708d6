import { useState } from 'react';
import { api, type Artifact } from '../api/api.js';
import { ErrorMessage, messageOf } from './ui.js';

/**
 * Downloads an artifact: a signed link valid for minutes is made at the click (the API checks who may) and
 * navigating to it starts the download. A removed file says so instead; `describe` words a refusal.
 */
export function DownloadButton({ artifact, describe = messageOf }: { artifact: Artifact; describe?: (error: unknown) => string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function download() {
    setBusy(true);
    setError(null);
    try {
      window.location.assign((await api.downloadLink(artifact.id)).url);
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  }
  if (artifact.status === 'removed') return <span className="hint">No longer available</span>;
  return (
    <>
      <button type="button" className="primary" disabled={busy} onClick={() => void download()} aria-label={`Download ${artifact.fileName}`}>
        {busy ? 'Preparing…' : 'Download'}
      </button>
      {error ? <ErrorMessage message={error} /> : null}
    </>
  );
}
