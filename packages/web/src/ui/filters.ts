import { useSearchParams } from 'react-router-dom';

/**
 * A list page's filters, kept in the address (so a filtered list can be linked and survives a reload): each
 * named filter's value ('' when unset), and a setter that drops a filter set to ''.
 */
export function useUrlFilters<const Name extends string>(names: readonly Name[]): [Record<Name, string>, (name: Name, value: string) => void] {
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(names.map((name) => [name, params.get(name) ?? ''])) as Record<Name, string>;
  function setFilter(name: Name, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }
  return [filter, setFilter];
}
