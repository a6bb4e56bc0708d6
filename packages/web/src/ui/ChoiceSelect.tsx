import { type ReactNode, type SelectHTMLAttributes } from 'react';

/**
 * A labelled, required choice among named things (customers, products, policies), opening on a disabled
 * "Choose a …" line; the select's own attributes (name, value and onChange, or defaultValue) pass through.
 */
export function ChoiceSelect({
  label,
  placeholder,
  items,
  ...select
}: { label: ReactNode; placeholder: string; items: readonly { id: string; name: string }[] } & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <label>
      {label}
      <select required {...select}>
        <option value="" disabled>
          {placeholder}
        </option>
        {items.map((item) => (
          <option key={item.id} value={item.id}>
            {item.name}
          </option>
        ))}
      </select>
    </label>
  );
}
