import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { mailApi, type MailTemplate, type TemplateSource } from '../api/mail.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, messageOf, NotFoundPage, Show, TableWrap, useLoad } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';

/** The mail templates: one per kind of mail, as shipped or as edited by staff. */
export function MailTemplates() {
  const templates = useLoad(() => mailApi.listTemplates(), 'mail-templates');
  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Mail templates</h1>
      <p className="hint">
        The mail Keyhaven sends, one template per kind. An edit applies to mail recorded after it; mail already in the outbox keeps its content.
      </p>
      <Show loaded={templates}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No mail templates.</Empty>
          ) : (
            <TableWrap label="Mail templates">
              <table>
                <caption className="visually-hidden">Mail templates</caption>
                <thead>
                  <tr>
                    <th scope="col">Template</th>
                    <th scope="col">Description</th>
                    <th scope="col">Category</th>
                    <th scope="col">Content</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((template) => (
                    <tr key={template.key}>
                      <td>
                        <Link to={`/console/mail/templates/${encodeURIComponent(template.key)}`}>
                          <code>{template.key}</code>
                        </Link>
                      </td>
                      <td>{template.description}</td>
                      <td>{template.category}</td>
                      <td>{template.customized ? <span className="badge badge-customized">customized</span> : <span className="badge badge-default">default</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Show>
    </section>
  );
}

/** `{a: {b: 1}, c: 2}` → `a.b`, `c`: the variable paths a template's sample data offers (arrays are not walked). */
export function variablePaths(data: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(data).flatMap(([name, value]) => {
    const path = prefix + name;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? variablePaths(value as Record<string, unknown>, `${path}.`) : [path];
  });
}

const PARTS: { name: keyof TemplateSource; label: string }[] = [
  { name: 'subject', label: 'Subject' },
  { name: 'text', label: 'Text body' },
  { name: 'html', label: 'HTML body' },
];

/** Which part a TEMPLATE_INVALID message names ("The text template is invalid: …"). */
function invalidPart(error: unknown): keyof TemplateSource | null {
  if (!(error instanceof ApiError) || error.code !== 'TEMPLATE_INVALID') return null;
  const part = /^The (subject|text|html) template/.exec(error.message)?.[1];
  return (part as keyof TemplateSource | undefined) ?? null;
}

export function MailTemplateDetail() {
  const { key = '' } = useParams();
  const loaded = useLoad(() => mailApi.getTemplate(key), key);
  const [notice, setNotice] = useState<string | null>(null);
  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="mail template" back="/console/mail/templates" />;
  return (
    <Show loaded={loaded}>
      {(template) => (
        <section aria-labelledby="template-title">
          <p>
            <Link to="/console/mail/templates">← Mail templates</Link>
          </p>
          <h1 id="template-title">
            <code>{template.key}</code>
            {template.customized ? <span className="badge badge-customized">customized</span> : <span className="badge badge-default">default</span>}
          </h1>
          <p>{template.description}</p>
          <p className="hint">
            Category: {template.category}
            {template.category === 'essential' ? ' (always sent)' : ' (recipients may opt out; the mail carries an unsubscribe link)'}.
            {template.customized ? ` Changed by ${template.updatedBy ?? 'unknown'} on ${formatDateTime(template.updatedAt)}.` : ' As shipped.'}
          </p>
          {notice ? (
            <p className="success" role="status">
              {notice}
            </p>
          ) : null}
          {/* A fresh editor whenever the stored template changes (saved or reset), so the fields show it. */}
          <TemplateEditor
            key={`${template.customized}:${template.updatedAt ?? ''}`}
            template={template}
            onSaved={(message) => {
              setNotice(message);
              loaded.reload();
            }}
            onEdit={() => setNotice(null)}
          />
        </section>
      )}
    </Show>
  );
}

function TemplateEditor({ template, onSaved, onEdit }: { template: MailTemplate; onSaved: (message: string) => void; onEdit: () => void }) {
  const { me } = useSession();
  const mayWrite = can(me, 'mail:write');
  const [source, setSource] = useState<TemplateSource>({ subject: template.subject, text: template.text, html: template.html });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const preview = usePreview(template.key, source, mayWrite);
  const badPart = invalidPart(error);

  function change(part: keyof TemplateSource, value: string) {
    setSource((previous) => ({ ...previous, [part]: value }));
    setError(null);
    onEdit();
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await mailApi.updateTemplate(template.key, source);
      onSaved('Saved. New mail of this kind uses the changed template.');
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  async function reset() {
    if (!window.confirm(`Reset ${template.key} to the default content? Your changes to it are lost.`)) return;
    setBusy(true);
    setError(null);
    try {
      await mailApi.resetTemplate(template.key);
      onSaved('Reset to the default content.');
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  const dirty = source.subject !== template.subject || source.text !== template.text || source.html !== template.html;
  return (
    <div className="template-editor">
      <form className="stack-form card" onSubmit={save} aria-label="Edit template">
        <h2 className="form-title">Template</h2>
        {PARTS.map((part) => (
          <label key={part.name}>
            {part.label}
            {part.name === 'subject' ? (
              <input
                name="subject"
                required
                maxLength={1000}
                value={source.subject}
                readOnly={!mayWrite}
                aria-invalid={badPart === 'subject'}
                onChange={(event) => change('subject', event.target.value)}
              />
            ) : (
              <textarea
                name={part.name}
                required
                rows={part.name === 'html' ? 14 : 10}
                value={source[part.name]}
                readOnly={!mayWrite}
                aria-invalid={badPart === part.name}
                spellCheck={false}
                onChange={(event) => change(part.name, event.target.value)}
              />
            )}
          </label>
        ))}
        {error ? <ErrorMessage message={messageOf(error)} /> : null}
        <Variables template={template} />
        {mayWrite ? (
            <div className="actions">
              <button type="submit" className="primary" disabled={busy || !dirty}>
                Save
              </button>
              {template.customized ? (
                <button type="button" className="danger" disabled={busy} onClick={() => void reset()}>
                  Reset to default
                </button>
              ) : null}
            </div>
          ) : (
            <p className="hint">Your role may read templates but not change them.</p>
          )}
        </form>
        {mayWrite ? (
        <section className="card preview" aria-labelledby="preview-title" aria-busy={preview.loading}>
          <h2 id="preview-title" className="form-title">
            Preview <span className="hint">(sample data; nothing is sent)</span>
          </h2>
          {preview.error ? (
            // Polite, not an alert: while someone types, the template is often briefly invalid.
            <p className="error" aria-live="polite">
              Preview: {preview.error}
            </p>
          ) : null}
          {preview.rendered ? (
            <>
              <p>
                <strong>Subject:</strong> <span data-testid="preview-subject">{preview.rendered.subject}</span>
              </p>
              <h3>HTML</h3>
              {/* sandbox="" : no scripts, no forms, no navigation, no same-origin access from the mail's HTML. */}
              <iframe className="mail-frame" title="HTML preview" sandbox="" srcDoc={preview.rendered.html} />
              <h3>Text</h3>
              <pre className="mail-text" data-testid="preview-text">
                {preview.rendered.text}
              </pre>
            </>
          ) : !preview.error ? (
            <p className="loading">Rendering…</p>
          ) : null}
        </section>
      ) : (
        // A template is code the server runs: rendering one (a preview) needs mail:write, like saving it.
        <p className="hint">Previews need the mail:write permission.</p>
      )}
    </div>
  );
}

/** The variables a template may use: its sample data's paths and the ones every mail gets. */
function Variables({ template }: { template: MailTemplate }) {
  const own = variablePaths(template.sampleData);
  return (
    <details className="variables">
      <summary>Variables ({own.length + template.globalVariables.length})</summary>
      <p className="hint">
        Liquid: <code>{'{{ license.key }}'}</code>, <code>{'{% if setPasswordUrl %}…{% endif %}'}</code>, <code>{'{{ license.expiresAt | date: "%B %-d, %Y" }}'}</code>. In the HTML
        body every output is escaped.
      </p>
      <ul className="chips" aria-label="Variables of this template">
        {own.map((path) => (
          <li key={path}>
            <code>{path}</code>
          </li>
        ))}
      </ul>
      <ul className="chips" aria-label="Variables of every mail">
        {template.globalVariables.map((name) => (
          <li key={name}>
            <code>{name}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Renders the (unsaved) source through the API a moment after the last keystroke; the newest answer wins. */
function usePreview(key: string, source: TemplateSource, enabled: boolean) {
  const [state, setState] = useState<{ rendered: TemplateSource | null; error: string | null; loading: boolean }>({ rendered: null, error: null, loading: true });
  const round = useRef(0);
  useEffect(() => {
    if (!enabled) return;
    const mine = ++round.current;
    setState((previous) => ({ ...previous, loading: true }));
    const timer = setTimeout(() => {
      mailApi.previewTemplate(key, source).then(
        (rendered) => mine === round.current && setState({ rendered, error: null, loading: false }),
        (caught: unknown) => mine === round.current && setState((previous) => ({ rendered: previous.rendered, error: messageOf(caught), loading: false })),
      );
    }, 350);
    return () => clearTimeout(timer);
  }, [key, source, enabled]);
  return state;
}
