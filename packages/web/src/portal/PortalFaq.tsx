import { api } from '../api/api.js';
import { Empty, Show, useLoad } from '../ui/ui.js';

/** The vendor's FAQ for customers (`GET /v1/faq`): published entries, general and about the organization's products. */
export function PortalFaq() {
  const loaded = useLoad(() => api.listFaq(), 'portal-faq');
  return (
    <section aria-labelledby="faq-title" className="faq">
      <h1 id="faq-title">Frequently asked questions</h1>
      <Show loaded={loaded}>
        {(entries) =>
          entries.length === 0 ? (
            <Empty>No questions are answered here yet.</Empty>
          ) : (
            entries.map((entry) => (
              <details key={entry.id}>
                <summary>{entry.question}</summary>
                {/* answerHtml is rendered and sanitized by the server (raw HTML escaped, only safe links). */}
                <div className="answer" dangerouslySetInnerHTML={{ __html: entry.answerHtml }} />
              </details>
            ))
          )
        }
      </Show>
    </section>
  );
}
