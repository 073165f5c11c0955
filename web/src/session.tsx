/** Who is signed in, and their balance. One provider at the root; pages read it with useSession(). */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler, type User } from './api';
import { navigate } from './router';

export type SessionStatus = 'loading' | 'signedIn' | 'signedOut';

export interface Session {
  status: SessionStatus;
  user: User | null;
  balance: number | null;
  /** A one-off notice for the sign-in page, e.g. "Please sign in again." */
  notice: string | null;
  signedIn(user: User): void;
  signOut(): Promise<void>;
  refreshBalance(): Promise<void>;
  clearNotice(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ComponentChildren }) {
  const [status, setStatus] = useState<SessionStatus>('loading');
  const [user, setUser] = useState<User | null>(null);
  const [balance, setBalance] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const refreshBalance = useCallback(async () => {
    try {
      const c = await api.credits();
      setBalance(c.credits_balance);
    } catch {
      // Keep the last known balance; a 401 is handled by the unauthorized handler.
    }
  }, []);

  const signedIn = useCallback(
    (u: User) => {
      setUser(u);
      setStatus('signedIn');
      setNotice(null);
      void refreshBalance();
    },
    [refreshBalance],
  );

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // Signing out locally is still right if the server is unreachable.
    }
    setUser(null);
    setBalance(null);
    setStatus('signedOut');
    navigate('/');
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setUser(null);
      setBalance(null);
      setStatus('signedOut');
      setNotice('Please sign in again.');
      const here = window.location.pathname + window.location.search;
      if (window.location.pathname !== '/login') navigate(`/login?next=${encodeURIComponent(here)}`);
    });
    api
      .me()
      .then((r) => signedIn(r.user))
      .catch(() => setStatus('signedOut'));
    return () => setUnauthorizedHandler(null);
  }, [signedIn]);

  const value = useMemo<Session>(
    () => ({ status, user, balance, notice, signedIn, signOut, refreshBalance, clearNotice: () => setNotice(null) }),
    [status, user, balance, notice, signedIn, signOut, refreshBalance],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
