import { useEffect, useState } from 'preact/hooks';
import { api, type AuthSession } from '../api';
import { formatDateTime } from '../format';
import { errorMessage } from '../messages';
import { useSession } from '../session';

const BROWSERS: Array<[RegExp, string]> = [[/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\//, 'Firefox'], [/Chrom(e|ium)\//, 'Chrome'], [/Safari\//, 'Safari']];
const SYSTEMS: Array<[RegExp, string]> = [[/Android/, 'Android'], [/iPhone|iPad/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X/, 'macOS'], [/Linux/, 'Linux']];

/** "Firefox on Windows" from a user agent; the raw string when neither is recognised. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (!browser && !system) return ua;
  return [browser ?? 'A browser', system && `on ${system}`].filter(Boolean).join(' ');
}

/** Account: the devices signed in to the account, each of which can be signed out, or all the others at once. */
export function Sessions() {
  const session = useSession();
  const [sessions, setSessions] = useState<AuthSession[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = () => api.sessions().then((r) => setSessions(r.sessions), (err: unknown) => setError(errorMessage(err)));
  useEffect(() => {
    void load();
  }, []);

  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await load();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  // This device's own session: signing it out is signing out here.
  const signOutHere = () => session.signOut();
  const signOutEverywhere = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.logoutScope('global');
      await signOutHere();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Active sessions</h2>
      {error && <p class="notice notice-error" role="alert">{error}</p>}
      {sessions === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <ul class="session-list" aria-label="Devices signed in to your account, most recently used first">
          {sessions.map((s) => (
            <li key={s.id} class="session-item" data-testid="session-row" data-current={String(s.current)}>
              <div>
                <span title={s.user_agent ?? undefined}>{describeUserAgent(s.user_agent)}</span>
                {s.current && <strong> (this device)</strong>}
                <p class="muted small">
                  {s.ip ?? 'Unknown address'} · signed in {formatDateTime(s.created_at)} · last used {formatDateTime(s.refreshed_at)}
                </p>
              </div>
              <button type="button" class="btn btn-small" disabled={busy} data-testid="session-sign-out"
                onClick={() => void (s.current ? signOutHere() : act(() => api.endSession(s.id)))}>
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <p class="actions">
        <button type="button" class="btn" disabled={busy || !sessions?.some((s) => !s.current)} data-testid="sign-out-others"
          onClick={() => void act(() => api.logoutScope('others'))}>
          Sign out everywhere else
        </button>
        <button type="button" class="btn" disabled={busy} data-testid="sign-out-everywhere"
          onClick={() => void signOutEverywhere()}>
          Sign out everywhere
        </button>
      </p>
    </section>
  );
}
