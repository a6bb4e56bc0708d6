/** What a quota bar shows of a contract (the console's, the partner face's and the portal's contracts alike). */
export interface Quota {
  id: string;
  used: number;
  quantity: number | null;
  unit: string;
}

/** "0 of 1 licenses used", or the count of an unlimited contract. */
export function quotaText(quota: Quota): string {
  return quota.quantity === null ? `${quota.used} ${quota.unit} used (unlimited)` : `${quota.used} of ${quota.quantity} ${quota.unit} used`;
}

/**
 * Used against the quantity as a bar (a `<progress>` with its numbers beside it); an unlimited contract only
 * counts. `label` names the bar (its words by default); `compact` fits it in a table row, where an unlimited
 * contract reads "3 licenses drawn · unlimited".
 */
export function QuotaBar({ quota, label, compact = false }: { quota: Quota; label?: string; compact?: boolean }) {
  const words = compact && quota.quantity === null ? `${quota.used} ${quota.unit} drawn · unlimited` : quotaText(quota);
  const full = quota.quantity !== null && quota.used >= quota.quantity;
  const Box = compact ? 'span' : 'div';
  return (
    <Box className={compact ? 'quota' : 'progress'} data-testid={`quota-${quota.id}`}>
      {quota.quantity === null ? null : <progress className={full ? 'full' : undefined} value={quota.used} max={quota.quantity} aria-label={label ?? words} />}
      <span>{words}</span>
    </Box>
  );
}
