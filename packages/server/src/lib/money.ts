/** Minor units as a decimal string in the currency's own precision: 49900 EUR → "499.00", 5000 JPY → "5000". */
export function formatPrice(amount: number | null, currency: string | null): string | null {
  if (amount === null || currency === null) return null;
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown currency code: assume cents.
  }
  return (amount / 10 ** digits).toFixed(digits);
}
