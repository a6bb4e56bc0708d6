import { useId, useState } from 'react';
import type { Me } from '../api/api.js';
import { portalApi, type Allocation, type AllocationTarget, type CustomerGroup, type OrganizationUser } from '../api/portal.js';
import { ErrorMessage, messageOf } from '../ui/ui.js';

/**
 * What the portal knows of the organization's people to name a ticket's holder: the groups the viewer may
 * see (a member: those it is in) and the organization's users (customer admins only; a member may not list
 * users, and group members come with the groups it administers).
 */
export interface People {
  groups: CustomerGroup[];
  users: OrganizationUser[];
  /** The signed-in user (null for an API token: no person). */
  meId: string | null;
}

export async function loadPeople(me: Me | null | undefined): Promise<People> {
  const customerId = me?.actor.customerId ?? null;
  if (!customerId) return { groups: [], users: [], meId: null };
  const [groups, users] = await Promise.all([
    portalApi.listGroups(customerId).catch((): CustomerGroup[] => []),
    me?.actor.permissions.includes('users:read') ? portalApi.listUsers(customerId).catch((): OrganizationUser[] => []) : Promise.resolve([]),
  ]);
  return { groups, users, meId: me?.user?.id ?? null };
}

function personName(people: People, userId: string): string {
  if (userId === people.meId) return 'you';
  const user = people.users.find((u) => u.id === userId);
  const member = people.groups.flatMap((g) => g.members).find((m) => m.userId === userId);
  const found = user ?? (member ? { name: member.name, email: member.email } : undefined);
  if (!found) return 'a person of your organization';
  return found.name ? `${found.name} (${found.email})` : found.email;
}

function groupName(people: People, groupId: string): string {
  return people.groups.find((g) => g.id === groupId)?.name ?? 'a group';
}

/** Who holds a ticket, in words: "the organization", "group Design", "Ana (ana@…) through group Design". */
export function allocationText(allocation: Allocation, people: People): string {
  if (allocation.kind === 'organization') return 'The whole organization';
  if (allocation.userId !== null) {
    const person = personName(people, allocation.userId);
    return allocation.groupId !== null ? `${person}, through group ${groupName(people, allocation.groupId)}` : person;
  }
  return `Group ${groupName(people, allocation.groupId ?? '')}`;
}

/** Whether the signed-in user administers this group. */
export function administers(people: People, groupId: string | null): boolean {
  if (groupId === null || people.meId === null) return false;
  return people.groups.some((g) => g.id === groupId && g.members.some((m) => m.userId === people.meId && m.admin));
}

interface Choice {
  value: string;
  label: string;
  target: AllocationTarget;
}

/**
 * Where the viewer may move a ticket, as the API allows it: a customer admin anywhere in the organization
 * (the organization, a group, a person, a member of a group); a group admin within the ticket's group (the
 * group, or one of its members).
 */
export function allocationChoices(allocation: Allocation, people: People, organizationAdmin: boolean): Choice[] {
  const memberChoices = (group: CustomerGroup): Choice[] =>
    group.members.map((m) => ({
      value: `member:${group.id}:${m.userId}`,
      label: `${m.name ?? m.email} (in group ${group.name})`,
      target: { groupId: group.id, userId: m.userId },
    }));
  if (organizationAdmin) {
    return [
      { value: 'organization', label: 'The whole organization', target: {} },
      ...people.groups.map((g) => ({ value: `group:${g.id}`, label: `Group ${g.name}`, target: { groupId: g.id } })),
      ...people.users.map((u) => ({ value: `user:${u.id}`, label: u.name ? `${u.name} (${u.email})` : u.email, target: { userId: u.id } })),
      ...people.groups.flatMap(memberChoices),
    ];
  }
  const group = people.groups.find((g) => g.id === allocation.groupId);
  if (!group || !administers(people, group.id)) return [];
  return [{ value: `group:${group.id}`, label: `Group ${group.name}`, target: { groupId: group.id } }, ...memberChoices(group)];
}

function currentChoice(allocation: Allocation): string {
  if (allocation.kind === 'organization') return 'organization';
  if (allocation.userId === null) return `group:${allocation.groupId}`;
  return allocation.groupId === null ? `user:${allocation.userId}` : `member:${allocation.groupId}:${allocation.userId}`;
}

/** The "Allocate to" control of a license page; hidden when the viewer may not allocate this ticket. */
export function AllocationControl({ licenseId, allocation, people, organizationAdmin, onChanged }: {
  licenseId: string;
  allocation: Allocation;
  people: People;
  organizationAdmin: boolean;
  onChanged: () => void;
}) {
  const choices = allocationChoices(allocation, people, organizationAdmin);
  const [value, setValue] = useState(currentChoice(allocation));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const selectId = useId();
  if (choices.length === 0) return null;
  async function allocate() {
    const choice = choices.find((c) => c.value === value);
    if (!choice) return;
    setBusy(true);
    setError(null);
    try {
      await portalApi.allocate(licenseId, choice.target);
      onChanged();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="card inline-form"
      aria-label="Allocate this license"
      onSubmit={(event) => {
        event.preventDefault();
        void allocate();
      }}
    >
      <h2>Allocate</h2>
      <label htmlFor={selectId}>Allocate to</label>
      <select id={selectId} value={value} onChange={(event) => setValue(event.target.value)}>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      <div className="form-end">
        <button type="submit" className="primary" disabled={busy || value === currentChoice(allocation)}>
          {busy ? 'Allocating…' : 'Allocate'}
        </button>
      </div>
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}
