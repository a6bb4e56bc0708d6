import { Link } from 'react-router-dom';
import { partnersApi, type Partner } from '../api/partners.js';
import { can, useSession } from '../session.js';
import { FilterSelect, useLoad } from '../ui/ui.js';

/**
 * The partners, for filters and for naming who sold a license: loaded once per page, and only for roles
 * that may read partners (others get an empty list and no filter).
 */
export function usePartners(): Partner[] {
  const { me } = useSession();
  const mayRead = can(me, 'partners:read');
  const partners = useLoad(() => (mayRead ? partnersApi.listPartners() : Promise.resolve([])), `partners:${mayRead}`);
  return partners.data ?? [];
}

/** A partner's name by id (the id itself while the partners load or when it is out of sight). */
export const partnerName = (partners: readonly Partner[], id: string) => partners.find((partner) => partner.id === id)?.name ?? id;

/** A list filter by partner (a `<select>` whose first option clears it); nothing when there are no partners to choose. */
export function PartnerFilter({ label, value, onChange, partners }: { label: string; value: string; onChange: (value: string) => void; partners: readonly Partner[] }) {
  if (partners.length === 0 && !value) return null;
  const options = partners.map((partner) => ({ value: partner.id, label: partner.name }));
  // A partner id from the URL that is not (yet) in the list still shows as chosen.
  if (value && !partners.some((partner) => partner.id === value)) options.push({ value, label: value });
  return <FilterSelect label={label} value={value} onChange={onChange} options={options} />;
}

/** A partner named and linked to its page (who sold a license, whom a customer belongs to); "—" for none. */
export function PartnerLink({ partnerId }: { partnerId: string | null }) {
  const { me } = useSession();
  const mayRead = can(me, 'partners:read');
  const partner = useLoad(() => (partnerId && mayRead ? partnersApi.getPartner(partnerId) : Promise.resolve(null)), `sold-by:${partnerId}:${mayRead}`);
  if (!partnerId) return <>—</>;
  const name = partner.data?.name ?? partnerId;
  return mayRead ? <Link to={`/console/partners/${partnerId}`}>{name}</Link> : <>{name}</>;
}
