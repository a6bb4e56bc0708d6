import { useState, type FormEvent } from 'react';
import { api, type Product } from '../api/api.js';
import { settingsApi, type FaqEntryFull, type FaqInput } from '../api/settings.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, messageOf, Show, useLoad } from '../ui/ui.js';

/** Question, Markdown answer, product and published: the fields of the new-entry and edit forms. */
function FaqFields({ entry, products }: { entry?: FaqEntryFull; products: Product[] }) {
  return (
    <>
      <label>
        Question
        <input name="question" required maxLength={500} defaultValue={entry?.question ?? ''} />
      </label>
      <label>
        Answer <span className="hint">(Markdown: **bold**, lists, [links](https://…); raw HTML is shown as text)</span>
        <textarea name="answer" required className="short" defaultValue={entry?.answer ?? ''} />
      </label>
      <div className="row">
        <label>
          Shown with
          <select name="productId" defaultValue={entry?.productId ?? ''}>
            <option value="">Every customer (general)</option>
            {products.map((product) => (
              <option key={product.id} value={product.id}>
                {product.name}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" name="published" defaultChecked={entry?.published ?? true} />
          Published (customers see it)
        </label>
      </div>
    </>
  );
}

function faqInput(form: FormData): FaqInput {
  const productId = String(form.get('productId') ?? '');
  return { question: String(form.get('question') ?? '').trim(), answer: String(form.get('answer') ?? ''), productId: productId || null, published: form.get('published') === 'on' };
}

/**
 * The portal's FAQ: entries in the order customers read them, rendered as the portal shows them. Every staff
 * role can read it; roles with `settings:write` (the server's rule for /v1/faq) add, edit, move and delete.
 */
export function FaqEditor() {
  const { me } = useSession();
  const canWrite = can(me, 'settings:write');
  const [round, setRound] = useState(0);
  const loaded = useLoad(() => settingsApi.listFaq(), `faq-${round}`);
  const products = useLoad(() => api.listProducts(), 'products');
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);

  async function run(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await action();
      setStatus(done);
      setRound((r) => r + 1);
      return true;
    } catch (caught) {
      setError(messageOf(caught));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const input = faqInput(new FormData(event.currentTarget));
    if (await run(() => settingsApi.createFaq(input), `Added "${input.question}".`)) setFormKey((k) => k + 1);
  }

  async function update(event: FormEvent<HTMLFormElement>, entry: FaqEntryFull) {
    event.preventDefault();
    const input = faqInput(new FormData(event.currentTarget));
    if (await run(() => settingsApi.updateFaq(entry.id, input), `Saved "${input.question}".`)) setEditing(null);
  }

  /** Moves an entry one place up or down: positions are renumbered 10, 20, … and only the changed ones are sent. */
  async function move(entries: FaqEntryFull[], index: number, by: -1 | 1) {
    const order = [...entries];
    const [entry] = order.splice(index, 1);
    order.splice(index + by, 0, entry!);
    await run(async () => {
      for (const [i, e] of order.entries()) if (e.position !== (i + 1) * 10) await settingsApi.updateFaq(e.id, { position: (i + 1) * 10 });
    }, `Moved "${entry!.question}" ${by < 0 ? 'up' : 'down'}.`);
  }

  const productList = products.data ?? [];
  const productName = (id: string | null) => (id === null ? 'General' : (productList.find((p) => p.id === id)?.name ?? id));
  return (
    <section className="faq-admin" aria-labelledby="faq-admin-title">
      <h1 id="faq-admin-title">Portal FAQ</h1>
      <p className="hint">The questions customers read on the portal&apos;s FAQ page, in this order. Answers are Markdown; below is how the portal shows them.</p>
      {canWrite ? null : <p className="hint">Your role can read the FAQ; an owner or admin can change it.</p>}
      {error ? <ErrorMessage message={error} /> : null}
      <p role="status" className={status ? 'success' : 'visually-hidden'}>
        {status ?? ''}
      </p>
      <Show loaded={loaded}>
        {(entries) =>
          entries.length === 0 ? (
            <Empty>No FAQ entries yet.</Empty>
          ) : (
            <ol className="faq-list" aria-label="FAQ entries">
              {entries.map((entry, index) => (
                <li key={entry.id} className="faq-entry">
                  {editing === entry.id ? (
                    <form className="stack-form" aria-label={`Edit "${entry.question}"`} onSubmit={(event) => void update(event, entry)}>
                      <FaqFields entry={entry} products={productList} />
                      <div className="actions">
                        <button type="submit" className="primary" disabled={busy}>
                          Save entry
                        </button>
                        <button type="button" onClick={() => setEditing(null)}>
                          Cancel
                        </button>
                      </div>
                    </form>
                  ) : (
                    <>
                      <h2>
                        {entry.question} {entry.published ? null : <span className="badge badge-draft">unpublished</span>}
                        <span className="hint">{productName(entry.productId)}</span>
                      </h2>
                      {/* answerHtml is rendered and sanitized by the server (raw HTML escaped, only safe links). */}
                      <div className="answer notes" dangerouslySetInnerHTML={{ __html: entry.answerHtml }} />
                      {canWrite ? (
                        <div className="actions">
                          <button type="button" onClick={() => setEditing(entry.id)} aria-label={`Edit "${entry.question}"`}>
                            Edit
                          </button>
                          <button type="button" disabled={busy || index === 0} onClick={() => void move(entries, index, -1)} aria-label={`Move up: "${entry.question}"`}>
                            Move up
                          </button>
                          <button
                            type="button"
                            disabled={busy || index === entries.length - 1}
                            onClick={() => void move(entries, index, 1)}
                            aria-label={`Move down: "${entry.question}"`}
                          >
                            Move down
                          </button>
                          {confirming === entry.id ? (
                            <>
                              <span>Delete this entry for good?</span>
                              <button
                                type="button"
                                className="danger"
                                disabled={busy}
                                onClick={() => void run(() => settingsApi.deleteFaq(entry.id), `Deleted "${entry.question}".`).then(() => setConfirming(null))}
                              >
                                Yes, delete
                              </button>
                              <button type="button" onClick={() => setConfirming(null)}>
                                Cancel
                              </button>
                            </>
                          ) : (
                            <button type="button" className="danger" onClick={() => setConfirming(entry.id)} aria-label={`Delete "${entry.question}"…`}>
                              Delete…
                            </button>
                          )}
                        </div>
                      ) : null}
                    </>
                  )}
                </li>
              ))}
            </ol>
          )
        }
      </Show>
      {canWrite ? (
        <details className="card">
          <summary>New FAQ entry</summary>
          <form key={formKey} className="stack-form" aria-label="New FAQ entry" onSubmit={(event) => void create(event)}>
            <FaqFields products={productList} />
            <div>
              <button type="submit" className="primary" disabled={busy}>
                Add entry
              </button>
            </div>
          </form>
        </details>
      ) : null}
    </section>
  );
}
