/** Drops keys whose value is undefined, so a PATCH only changes what it names. */
export function stripUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
