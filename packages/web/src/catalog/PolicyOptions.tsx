import type { Policy, Product } from '../api/api.js';

/** The `<option>`s of a policy `<select>`: a disabled prompt, then each product's policies in a group. */
export function PolicyOptions({ products, policies }: { products: readonly Product[]; policies: readonly Policy[] }) {
  return (
    <>
      <option value="" disabled>
        Choose a policy
      </option>
      {products.map((product) => (
        <optgroup key={product.id} label={product.name}>
          {policies
            .filter((policy) => policy.productId === product.id)
            .map((policy) => (
              <option key={policy.id} value={policy.id}>
                {product.name} — {policy.name}
              </option>
            ))}
        </optgroup>
      ))}
    </>
  );
}
