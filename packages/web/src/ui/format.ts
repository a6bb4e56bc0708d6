/** Console-only formatting: times with the hour, file sizes, and what an audit event changed. */

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
export function formatDateTime(iso: string | null | undefined, none = '—'): string {
  return iso ? dateTimeFormat.format(new Date(iso)) : none;
}

const shortThisYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const shortOtherYear = new Intl.DateTimeFormat(undefined, { year: '2-digit', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
/** A time for narrow columns (the audit log at 1366 px): no year in the current year; one line with `white-space: nowrap`. */
export function formatCompactTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  return (date.getFullYear() === now.getFullYear() ? shortThisYear : shortOtherYear).format(date);
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return ISO_TIME.test(value) ? formatDateTime(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number')) return value.join(', ') || '—';
  return 'changed';
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const IGNORED = new Set(['id', 'updatedAt']);

/** "field: before → after" for each top-level field a change event changed (values as people read them, never JSON). */
export function changesOf(before: unknown, after: unknown): string[] {
  // A creation (nothing before) is named by its action; listing every field of it would bury the changes.
  if (!isRecord(before) || !isRecord(after)) return [];
  const from = before;
  const to = after;
  const names = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((name) => !IGNORED.has(name));
  const lines: string[] = [];
  for (const name of names) {
    const was = show(from[name]);
    const now = show(to[name]);
    if (was === now) continue;
    lines.push(name in from ? `${name}: ${was} → ${now}` : `${name}: ${now}`);
  }
  return lines.slice(0, 8);
}

/** A value as people read it (dates formatted, lists joined), never JSON; for the event details view. */
export { show as readableValue };
