/** Fraction digits per currency code: Intl.NumberFormat is costly to build, and exports format a price per row. */
const fractionDigits = new Map<string, number>();

function digitsOf(currency: string): number {
  let digits = fractionDigits.get(currency);
  if (digits === undefined) {
    digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      // An unknown currency code: assume cents.
    }
    if (fractionDigits.size < 1000) fractionDigits.set(currency, digits);
  }
  return digits;
}

/** Minor units as a decimal string in the currency's own precision: 49900 EUR → "499.00", 5000 JPY → "5000". */
export function formatPrice(amount: number | null, currency: string | null): string | null {
  if (amount === null || currency === null) return null;
  const digits = digitsOf(currency);
  return (amount / 10 ** digits).toFixed(digits);
}
