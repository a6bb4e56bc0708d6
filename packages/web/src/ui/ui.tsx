import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';
import { Link, NavLink } from 'react-router-dom';
import { ApiError, type License, type LicenseStatus, type Page } from '../api/api.js';
import { useSession } from '../session.js';

/** The message to show for anything a call threw: the API's own message with its code, never a raw body. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.status === 0 ? error.message : `${error.message} (${error.code})`;
  return 'Something went wrong; reload the page and try again';
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `key` changes; a newer load wins over an older one still on its way. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true, error: undefined }));
    load().then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      current = false;
    };
    // `load` is a new closure every render; `key` says when what it loads changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

/**
 * A list read page by page: the first page loads with `key` (the filters); "Load more" appends the next
 * pages until the filters change. `view(page)` gives the items shown so far and the next cursor.
 */
export function usePagedList<T>(loadPage: (cursor: string | null) => Promise<Page<T>>, key: string): PagedList<T> {
  const first = useLoad(() => loadPage(null), key);
  const [extra, setExtra] = useState<{ key: string; items: T[]; cursor: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loaded = extra?.key === key ? extra : null;
  async function more(cursor: string) {
    try {
      const page = await loadPage(cursor);
      setExtra((previous) => ({ key, items: [...(previous?.key === key ? previous.items : []), ...page.data], cursor: page.nextCursor }));
    } catch (caught) {
      setError(messageOf(caught));
    }
  }
  const view = (page: Page<T>) => ({ items: [...page.data, ...(loaded?.items ?? [])], cursor: loaded ? loaded.cursor : page.nextCursor });
  return { first, view, more, error };
}

/** What `usePagedList` returns: the first page, the items shown so far, the way to read more, and a load-more error. */
export interface PagedList<T> {
  first: Loaded<Page<T>>;
  view(page: Page<T>): { items: T[]; cursor: string | null };
  more(cursor: string): Promise<void>;
  error: string | null;
}

/** The button that reads the next page of a list, when there is one. */
export function LoadMore({ cursor, more }: { cursor: string | null; more: (cursor: string) => Promise<void> }) {
  return cursor ? (
    <button type="button" onClick={() => void more(cursor)}>
      Load more
    </button>
  ) : null;
}

/**
 * One change at a time, with its outcome for the page: `run(change)` marks the page busy, clears the last
 * message, shows what the change returns as a notice (or the API's message as an error), and on success
 * calls `after` (to reload what the change touched).
 */
export function useAction(after?: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  async function run(change: () => Promise<string | null>): Promise<void> {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await change());
      after?.();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }
  return { busy, setBusy, error, setError, notice, setNotice, run };
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function ErrorMessage({ message }: { message: string }) {
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Loading, error or content: the three states every page that loads data has. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.error) return <ErrorMessage message={messageOf(loaded.error)} />;
  if (loaded.data === undefined) return <Loading />;
  return <>{children(loaded.data)}</>;
}

export function StatusBadge({ status }: { status: LicenseStatus }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
export function formatDate(iso: string | null | undefined, none = '—'): string {
  return iso ? dateFormat.format(new Date(iso)) : none;
}

const DAY = 86_400_000;
/** Whole days from now until `iso` (negative once past); null for no expiry. */
export function daysLeft(iso: string | null, now = Date.now()): number | null {
  return iso ? Math.ceil((new Date(iso).getTime() - now) / DAY) : null;
}

export function seats(license: License): string {
  return license.maxMachines === null ? `${license.activeMachines} (unlimited)` : `${license.activeMachines} of ${license.maxMachines}`;
}

export function NotFoundPage({ what = 'page', back = '/' }: { what?: string; back?: string }) {
  return (
    <section className="not-found" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Not found</h1>
      <p>This {what} does not exist, or you have no access to it.</p>
      <p>
        <Link to={back}>Go back</Link>
      </p>
    </section>
  );
}

export interface NavItem {
  to: string;
  label: string;
  end?: boolean;
  /** Items with a group are listed under its heading, in the order the groups first appear. */
  group?: string;
}

function navGroups(nav: NavItem[]): { name: string; items: NavItem[] }[] {
  const groups: { name: string; items: NavItem[] }[] = [];
  for (const item of nav) {
    const name = item.group ?? '';
    const group = groups.find((g) => g.name === name) ?? groups[groups.push({ name, items: [] }) - 1]!;
    group.items.push(item);
  }
  return groups;
}

/**
 * The page frame both faces share: a skip link, a header, labelled navigation (a bar for a few items, a
 * side panel with group headings when the items name groups), and the main area.
 */
export function Shell({ title, nav, children }: { title: string; nav: NavItem[]; children: ReactNode }) {
  const { me, signOut } = useSession();
  const grouped = nav.some((item) => item.group !== undefined);
  const links = (items: NavItem[]) => (
    <ul>
      {items.map((item) => (
        <li key={item.to}>
          <NavLink to={item.to} end={item.end ?? false}>
            {item.label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Keyhaven · {title}</span>
        {!grouped && <nav aria-label={`${title} navigation`}>{links(nav)}</nav>}
        <div className="who">
          <span>{me?.user?.email ?? me?.actor.label}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {grouped ? (
        <div className="layout">
          <nav className="side" aria-label={`${title} navigation`}>
            {navGroups(nav).map((group) => (
              <div key={group.name} className="nav-group">
                {group.name && <span className="nav-group-name">{group.name}</span>}
                {links(group.items)}
              </div>
            ))}
          </nav>
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </div>
      ) : (
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      )}
    </>
  );
}

/**
 * The frame a wide table scrolls in on a narrow screen. It is a named region the keyboard can focus, so
 * keyboard users can scroll it too (WCAG: scrollable regions must be keyboard accessible).
 */
export function TableWrap({ label, live, children }: { label: string; live?: boolean; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0} aria-live={live ? 'polite' : undefined}>
      {children}
    </div>
  );
}

/**
 * A paged list as a table: the load-more error, loading and error states, the empty message, the table
 * with a hidden caption and column headers, and "Load more". `label` names the scrolling region and the
 * caption. A column header is text, or a node (a visually hidden label for an actions column); a null
 * column is left out. `row(item)` returns the item's `<tr>` (or a keyed fragment of rows), with its key.
 */
export function PagedTable<T>({ list, label, empty, columns, row, testId }: { list: PagedList<T>; label: string; empty: ReactNode; columns: readonly ReactNode[]; row: (item: T) => ReactNode; testId?: string }) {
  return (
    <>
      {list.error ? <ErrorMessage message={list.error} /> : null}
      <Show loaded={list.first}>
        {(page) => {
          const { items, cursor } = list.view(page);
          if (items.length === 0) return <Empty>{empty}</Empty>;
          return (
            <>
              <TableWrap label={label}>
                <table data-testid={testId}>
                  <caption className="visually-hidden">{label}</caption>
                  <thead>
                    <tr>
                      {columns
                        .filter((column) => column !== null && column !== undefined && column !== false)
                        .map((column, index) => (
                          <th scope="col" key={index}>
                            {column}
                          </th>
                        ))}
                    </tr>
                  </thead>
                  <tbody>{items.map(row)}</tbody>
                </table>
              </TableWrap>
              <LoadMore cursor={cursor} more={list.more} />
            </>
          );
        }}
      </Show>
    </>
  );
}

export type FilterOption = string | { value: string; label: string };

/**
 * A labelled `<select>` for a list filter: the first option ("any") clears it. Options are plain values
 * or `{value, label}` pairs.
 */
export function FilterSelect({ label, value, onChange, options, anyLabel = 'any' }: { label: string; value: string; onChange: (value: string) => void; options: readonly FilterOption[]; anyLabel?: string }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="">{anyLabel}</option>
        {options.map((option) => {
          const { value: optionValue, label: optionLabel } = typeof option === 'string' ? { value: option, label: option } : option;
          return (
            <option key={optionValue} value={optionValue}>
              {optionLabel}
            </option>
          );
        })}
      </select>
    </label>
  );
}

/**
 * A labelled text area with the server's length limit shown as a counter. Nothing is cut: a longer paste stays
 * whole, the counter says how far over it is, and saving shows the API's own refusal (which names the limit).
 */
export function LimitedTextArea({ label, name, limit, defaultValue = '', className }: { label: ReactNode; name: string; limit: number; defaultValue?: string; className?: string }) {
  const [length, setLength] = useState(defaultValue.length);
  const counterId = useId();
  const over = length > limit;
  return (
    <div className="limited">
      <label>
        {label}
        <textarea name={name} className={className} defaultValue={defaultValue} aria-describedby={counterId} aria-invalid={over || undefined} onChange={(event) => setLength(event.currentTarget.value.length)} />
      </label>
      <span id={counterId} className={over ? 'counter over' : 'counter'}>
        {over ? `${(length - limit).toLocaleString()} characters over the limit of ${limit.toLocaleString()}` : `${length.toLocaleString()} of ${limit.toLocaleString()} characters`}
      </span>
    </div>
  );
}
