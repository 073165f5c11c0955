import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Link } from '../components/Link';
import { errorMessage } from '../messages';
import { useLocation } from '../router';

/** Opened from the confirmation mail's link: confirms the address at once. */
export function ConfirmEmail() {
  const token = useLocation().query.get('token');
  const [state, setState] = useState<'busy' | 'done' | string>(token ? 'busy' : 'This link is incomplete.');

  useEffect(() => {
    if (!token) return;
    api
      .confirmEmail(token)
      .then(() => setState('done'))
      .catch((err: unknown) =>
        setState(err instanceof ApiError && err.code === 'invalid_token' ? 'This link is invalid, used or expired.' : errorMessage(err)),
      );
  }, [token]);

  return (
    <>
      <h1>Confirm your email</h1>
      {state === 'busy' && <p class="muted">Confirming…</p>}
      {state === 'done' && <p class="notice" role="status" data-testid="confirm-done">Your email address is confirmed. <Link href="/create">Create a video</Link></p>}
      {state !== 'busy' && state !== 'done' && (
        <p class="notice notice-error" role="alert" data-testid="confirm-error">
          {state} You can send a new link from your <Link href="/account">account</Link>.
        </p>
      )}
    </>
  );
}
