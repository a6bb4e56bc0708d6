import { useState } from 'react';
import { consoleApi, type AuditEvent } from '../api/api.js';
import { Empty, ErrorMessage, messageOf, Show, useLoad } from '../ui/ui.js';
import { actorLabel } from '../administration/Events.js';
import { changesOf, formatDateTime } from '../ui/format.js';

/** The license's history: its audit events, newest first (`GET /v1/licenses/:id/events`). `round` reloads it. */
export function LicenseHistory({ licenseId, round }: { licenseId: string; round: number }) {
  const first = useLoad(() => consoleApi.licenseEvents(licenseId), `${licenseId}|${round}`);
  const [more, setMore] = useState<{ key: string; items: AuditEvent[]; cursor: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = `${licenseId}|${round}`;
  const extra = more?.key === key ? more : null;

  async function loadMore(cursor: string) {
    setError(null);
    try {
      const page = await consoleApi.licenseEvents(licenseId, cursor);
      setMore({ key, items: [...(extra?.items ?? []), ...page.data], cursor: page.nextCursor });
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <Show loaded={first}>
        {(page) => {
          const events = [...page.data, ...(extra?.items ?? [])];
          const cursor = extra ? extra.cursor : page.nextCursor;
          if (events.length === 0) return <Empty>Nothing has happened to this license yet.</Empty>;
          return (
            <>
              <ol className="timeline" aria-label="License history" data-testid="license-history">
                {events.map((event) => {
                  const changes = changesOf(event.before, event.after);
                  return (
                    <li key={event.id}>
                      <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                      <span className="timeline-action">{event.action}</span>
                      <span className="hint">by {actorLabel(event)}</span>
                      {changes.length > 0 ? (
                        <ul className="timeline-changes">
                          {changes.map((line) => (
                            <li key={line}>{line}</li>
                          ))}
                        </ul>
                      ) : null}
                    </li>
                  );
                })}
              </ol>
              {cursor ? (
                <button type="button" onClick={() => void loadMore(cursor)}>
                  Older events
                </button>
              ) : null}
            </>
          );
        }}
      </Show>
      {error ? <ErrorMessage message={error} /> : null}
    </section>
  );
}
