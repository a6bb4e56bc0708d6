/** `?limit=&cursor=` of a list: read `limit + 1` rows after the cursor, then cut them with `page()`. */
export interface PageOptions {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cuts a "limit + 1" result into a page and the cursor of the next one. */
export function page<T extends { id: string }>(items: T[], limit: number): Page<T> {
  if (items.length <= limit) return { data: items, nextCursor: null };
  const data = items.slice(0, limit);
  return { data, nextCursor: data[data.length - 1]!.id };
}
