import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Link } from '../components/Link';
import { errorMessage } from '../messages';
import { useLocation } from '../router';
import { useSession } from '../session';

function confirmError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'invalid_token') return 'This link is invalid, used or expired.';
  if (err instanceof ApiError && err.code === 'email_taken') return 'Another account uses this address now.';
  return errorMessage(err);
}

/** Opened from the link mailed to a new address: moves the account there at once. */
export function ChangeEmailConfirm() {
  const token = useLocation().query.get('token');
  const session = useSession();
  const [state, setState] = useState<{ done: string } | { error: string } | 'busy'>(token ? 'busy' : { error: 'This link is incomplete.' });

  const started = useRef(false);
  const showNewAddress = async () => {
    if (await api.refresh()) session.signedIn((await api.me()).user);
  };

  // Once the session is known, so a browser signed in as the account is told the new address (not the old one late).
  useEffect(() => {
    if (!token || session.status === 'loading' || started.current) return;
    started.current = true;
    api
      .confirmEmailChange(token)
      .then(async ({ user }) => {
        // Signed in here as that account: a new access token carries the new address (if not, the next refresh does).
        // Done is shown once it does: leaving the page earlier would cut the refresh short, and the old address stay.
        if (session.user?.id === user.id) await showNewAddress().catch(() => undefined);
        setState({ done: user.email });
      }, (err: unknown) => setState({ error: confirmError(err) }));
  }, [token, session.status]);

  return (
    <>
      <h1>Change your email</h1>
      {state === 'busy' && <p class="muted">Changing…</p>}
      {state !== 'busy' && 'done' in state && (
        <p class="notice" role="status" data-testid="change-email-done">
          Your email address is now {state.done}: sign in with it from now on. <Link href="/account">Your account</Link>
        </p>
      )}
      {state !== 'busy' && 'error' in state && (
        <p class="notice notice-error" role="alert" data-testid="change-email-failed">
          {state.error} You can ask for a new link from your <Link href="/account">account</Link>.
        </p>
      )}
    </>
  );
}
