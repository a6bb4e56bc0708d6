import { useState } from 'react';

/** Copies `text` to the clipboard and says so (politely, for screen readers). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <>
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" aria-live="polite" className="hint">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copying is not allowed here: select the key and copy it' : ''}
      </span>
    </>
  );
}
