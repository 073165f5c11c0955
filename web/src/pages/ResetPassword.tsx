import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { FormError } from '../components/FormError';
import { Link } from '../components/Link';
import { NewPasswordField } from '../components/NewPasswordField';
import { errorMessage } from '../messages';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';

/** Opened from the reset mail's link: sets a new password, then signs in (every other session is signed out). */
export function ResetPassword() {
  const session = useSession();
  const token = useLocation().query.get('token');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (!token) {
    return (
      <>
        <h1>Set a new password</h1>
        <p class="notice notice-error" role="alert">This link is incomplete. <Link href="/forgot-password">Ask for a new one.</Link></p>
      </>
    );
  }

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (password.length < 8) return setError('Your password needs at least 8 characters.');
    setBusy(true);
    setError(null);
    try {
      const r = await api.resetPassword(token, password);
      session.signedIn(r.user);
      navigate('/create', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'invalid_token' ? 'This link is invalid, used or expired. Ask for a new one below.' : errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Set a new password</h1>
      <form class="panel auth-form" onSubmit={onSubmit} noValidate aria-labelledby="reset-heading">
        <h2 id="reset-heading">Choose a new password</h2>
        <NewPasswordField id="reset-password" value={password} onInput={setPassword} />
        <FormError message={error} id="reset-error" />
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="reset-submit">
          {busy ? 'Saving…' : 'Set the password and sign in'}
        </button>
      </form>
      <p><Link href="/forgot-password">Ask for a new link</Link></p>
    </>
  );
}
