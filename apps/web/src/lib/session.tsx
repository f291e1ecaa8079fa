import type { Branch } from '@dynapharm/types';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import {
  clearSession,
  type DemoUser,
  loadSession,
  type Session,
  saveSession,
  sessionFromToken,
} from './auth.ts';
import { STORAGE_KEYS } from './config.ts';
import { runSignOutHooks } from './sign-out.ts';

interface SessionValue {
  session: Session | undefined;
  signIn(token: string, user: DemoUser): void;
  signOut(): void;
  /** Branches the user may switch between (admins: every branch), from the device's replica. */
  branches: Branch[];
  /** Hands over the branch rows the replica holds (it calls this whenever they change). */
  receiveBranches(rows: Branch[]): void;
  /** The branch the console works on; `''` means every branch (admins only). */
  branchId: string;
  setBranchId(id: string): void;
  isAdmin: boolean;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** A branch name for display, falling back to a short id. */
export function useBranchName(): (id: string | null | undefined) => string {
  const { branches } = useSession();
  return useCallback(
    (id) => {
      if (!id) return '—';
      return branches.find((b) => b.id === id)?.name ?? id.slice(0, 8);
    },
    [branches],
  );
}

function pickBranch(session: Session | undefined, branches: Branch[], wanted: string | null) {
  if (!session) return '';
  // Before the replica has the branch rows, a user's own token branches are still valid choices.
  const allowed = isAdminOf(session) ? branches.map((b) => b.id) : session.user.branches;
  if (wanted !== null && (allowed.includes(wanted) || (wanted === '' && isAdminOf(session)))) {
    return wanted;
  }
  return session.user.branches[0] ?? allowed[0] ?? '';
}

const isAdminOf = (s: Session | undefined) => s?.user.role === 'admin';

/** Holds the signed-in user, the branches they may see and the selected branch. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const [branches, setBranches] = useState<Branch[]>([]);
  const [branchId, setBranchIdState] = useState('');

  useEffect(() => {
    setBranches([]);
    setBranchIdState(pickBranch(session, [], localStorage.getItem(STORAGE_KEYS.branch)));
  }, [session]);

  // The list comes from the replica, so it is there offline and follows live changes.
  const receiveBranches = useCallback(
    (rows: Branch[]) => {
      if (!session) return;
      // The token's branches are what the server enforces; admins see all.
      const visible = isAdminOf(session)
        ? rows
        : rows.filter((b) => session.user.branches.includes(b.id));
      setBranches(visible);
      setBranchIdState(pickBranch(session, visible, localStorage.getItem(STORAGE_KEYS.branch)));
    },
    [session],
  );

  const signIn = useCallback((token: string, user: DemoUser) => {
    saveSession(token, user);
    setSession(sessionFromToken(token, user));
  }, []);
  const signOut = useCallback(() => {
    void runSignOutHooks();
    clearSession();
    setSession(undefined);
  }, []);
  const setBranchId = useCallback((id: string) => {
    localStorage.setItem(STORAGE_KEYS.branch, id);
    setBranchIdState(id);
  }, []);

  return (
    <SessionContext.Provider
      value={{
        session,
        signIn,
        signOut,
        branches,
        receiveBranches,
        branchId,
        setBranchId,
        isAdmin: isAdminOf(session),
      }}
    >
      {children}
    </SessionContext.Provider>
  );
}
