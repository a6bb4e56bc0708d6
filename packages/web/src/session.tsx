import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, getToken, isStaffRole, setToken, setUnauthenticatedHandler, type Me, type Permission, type Role } from './api/api.js';

interface Session {
  /** undefined while the stored token is being checked; null when signed out. */
  me: Me | null | undefined;
  /** True once the API answered 401 (the session ended elsewhere or timed out) until the next sign-in. */
  expired: boolean;
  signIn(email: string, password: string): Promise<Me>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/** The web app's faces: the vendor console, the customer portal, the partner face. */
export type Face = 'console' | 'portal' | 'partner';

/**
 * Which face a signed-in actor uses, as the server tells: staff roles (`staffRoles`) the console, an actor with a
 * partner (`actor.partnerId`) the partner face, everyone else (customer users) the portal.
 */
export function faceOf(me: Me): Face {
  if (isStaffRole(me, me.actor.role)) return 'console';
  return me.actor.partnerId !== null ? 'partner' : 'portal';
}

/** Where a signed-in actor belongs: the home of its face. */
export function homeOf(me: Me): string {
  return `/${faceOf(me)}`;
}

/**
 * Whether the signed-in actor may do `permission`, as `GET /v1/auth/me` tells (the server's role table, a
 * token's limits included). It only hides buttons and links: the API decides, and its 403 message shows.
 */
export function can(me: Me | null | undefined, permission: Permission): boolean {
  return me?.actor.permissions.includes(permission) ?? false;
}

/** The roles the signed-in actor may hand out to users and tokens, in the order the API lists roles. */
export function grantableRoles(me: Me | null | undefined): Role[] {
  return me?.actor.grantableRoles ?? [];
}

export function mayGrant(me: Me | null | undefined, role: Role): boolean {
  return grantableRoles(me).includes(role);
}

/**
 * The session: a token in sessionStorage (gone when the tab closes) and who it belongs to, from
 * `GET /v1/auth/me`. Any 401 from the API signs out and goes back to sign-in.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const [me, setMe] = useState<Me | null | undefined>(getToken() ? undefined : null);
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      // The guards redirect too when `me` turns null; they carry `expired` so the notice survives either order.
      setExpired(true);
      setMe(null);
      navigate('/sign-in', { replace: true, state: { expired: true } });
    });
    if (getToken()) {
      api.me().then(setMe, () => setMe(null));
    }
  }, [navigate]);

  const signIn = useCallback(async (email: string, password: string) => {
    const answer = await api.signIn(email, password);
    setToken(answer.token);
    const who = await api.me();
    setExpired(false);
    setMe(who);
    return who;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } catch {
      // Signed out locally either way.
    }
    setToken(null);
    setMe(null);
    navigate('/sign-in', { replace: true });
  }, [navigate]);

  const value = useMemo(() => ({ me, expired, signIn, signOut }), [me, expired, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
