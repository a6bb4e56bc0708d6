import { useState } from 'react';
import { ErrorMessage, messageOf } from './ui.js';

/**
 * "Export CSV" for a list: runs the export with the list's current filters (see api/exports.ts) and says
 * when it failed. The button is disabled while the download is being prepared.
 */
export function ExportCsvButton({ run, label = 'Export CSV' }: { run: () => Promise<void>; label?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function click() {
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="export-csv" onClick={() => void click()} disabled={busy} aria-busy={busy}>
        {busy ? 'Exporting…' : label}
      </button>
      {error ? <ErrorMessage message={error} /> : null}
    </>
  );
}
