import { useSession } from '../session.js';

export { machineName } from '../licensing/MachinesTable.js';

/**
 * Whether the signed-in user administers its organization (customer-admin): the portal then offers key
 * reveal, machine deactivation and offline activation. Only a hint for what to show: the API decides.
 */
export function useIsOrgAdmin(): boolean {
  const { me } = useSession();
  return me?.actor.role === 'customer-admin';
}

const sizeUnits = ['B', 'KB', 'MB', 'GB'];
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < sizeUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${sizeUnits[unit]}`;
}
