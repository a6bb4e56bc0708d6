import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Empty, ErrorMessage, LimitedTextArea, type Loaded, messageOf, Show, TableWrap } from './ui.js';

/**
 * The skeleton the catalog pages share (products, policies, customers): a page title, a create form
 * (for roles that may write), filters, and a table of the records, each linking to its detail page,
 * where an edit form and a delete button with a confirmation dialog sit. Pages give the fields and
 * columns; the busy state, the API's error message, the "Saved" notice and the empty state live here.
 */

/** A form's text field, trimmed. */
export function text(form: FormData, name: string): string {
  return String(form.get(name) ?? '').trim();
}
/** A number field: null when left empty. */
export function optionalNumber(form: FormData, name: string): number | null {
  const value = text(form, name);
  return value === '' ? null : Number(value);
}
/** A list typed as comma- or line-separated words; empty entries dropped. */
export function list(form: FormData, name: string): string[] {
  return text(form, name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}
/** Staff notes on a record (a customer, a license): counted against the API's limit, never shown to customers. */
export function StaffNotes({ limit, defaultValue }: { limit: number; defaultValue: string | null }) {
  return (
    <LimitedTextArea
      label={
        <>
          Notes <span className="hint">(staff only; customers never see them)</span>
        </>
      }
      name="notes"
      className="short"
      limit={limit}
      defaultValue={defaultValue ?? ''}
    />
  );
}

export function checked(form: FormData, name: string): boolean {
  return form.get(name) === 'on';
}

/**
 * A form that calls the API: while the call runs its button is disabled; an error shows the API's message
 * (role="alert"); what `onSubmit` returns shows as a status line. `reset` clears the fields after success
 * (create forms); edit forms keep them.
 */
export function ActionForm({
  title,
  submitLabel,
  onSubmit,
  children,
  reset = false,
  className = 'card inline-form',
}: {
  title: string;
  submitLabel: string;
  onSubmit: (form: FormData) => Promise<string | void>;
  children: ReactNode;
  reset?: boolean;
  className?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const element = event.currentTarget;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const message = await onSubmit(new FormData(element));
      if (reset) element.reset();
      setNotice(message ?? null);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className={className} onSubmit={(event) => void submit(event)} aria-label={title}>
      <h2>{title}</h2>
      {children}
      <div className="form-end">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}

export interface Column<T> {
  header: string;
  /** A column whose header only screen readers hear (links, buttons). */
  hiddenHeader?: boolean;
  cell: (row: T) => ReactNode;
}

export function ResourceTable<T extends { id: string }>({ caption, rows, columns }: { caption: string; rows: T[]; columns: Column<T>[] }) {
  return (
    <TableWrap label={caption}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.header}>
                {column.hiddenHeader ? <span className="visually-hidden">{column.header}</span> : column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              {columns.map((column) => (
                <td key={column.header}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** A list page: title, the create form (absent for read-only roles), filters, then the table or its empty state. */
export function ResourcePage<T extends { id: string }>({
  id,
  title,
  create,
  filters,
  loaded,
  empty,
  columns,
}: {
  id: string;
  title: string;
  create?: ReactNode;
  filters?: ReactNode;
  loaded: Loaded<T[]>;
  empty: ReactNode;
  columns: Column<T>[];
}) {
  return (
    <section aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{title}</h1>
      {create}
      {filters}
      <Show loaded={loaded}>{(rows) => (rows.length === 0 ? <Empty>{empty}</Empty> : <ResourceTable caption={title} rows={rows} columns={columns} />)}</Show>
    </section>
  );
}

/**
 * "Delete" with a confirmation dialog (a modal <dialog>: focus moves into it, Escape cancels). The API's
 * refusal (409 when licenses or policies still use the record) shows inside the dialog; `onDeleted` runs
 * after a success (usually: back to the list).
 */
export function DeleteButton({ what, consequence, onDelete, onDeleted, label }: { what: string; consequence: string; onDelete: () => Promise<void>; onDeleted: () => void; label?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onDelete();
      setOpen(false);
      onDeleted();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="danger" aria-label={label} onClick={() => (setError(null), setOpen(true))}>
        Delete
      </button>
      <dialog ref={dialog} className="confirm" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        <h2 id={titleId}>Delete {what}?</h2>
        <p>{consequence} This cannot be undone.</p>
        {error ? <ErrorMessage message={error} /> : null}
        <div className="actions">
          <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
            Delete {what}
          </button>
          <button type="button" onClick={() => setOpen(false)} autoFocus>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}
