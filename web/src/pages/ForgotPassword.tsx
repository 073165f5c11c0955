import { useState } from 'preact/hooks';
import { api } from '../api';
import { FormError } from '../components/FormError';
import { Link } from '../components/Link';
import { errorMessage } from '../messages';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Asks for a password reset link. The API answers alike for any address, so the page does too. */
export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const trimmed = email.trim();
    if (!EMAIL_RE.test(trimmed)) return setError('Please enter a valid email address.');
    setBusy(true);
    setError(null);
    try {
      await api.recover(trimmed);
      setSentTo(trimmed);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Forgot your password?</h1>
      {sentTo ? (
        <p class="notice" role="status" data-testid="recover-sent">
          If an account exists for {sentTo}, we have sent it a link to set a new password. It works for an hour.
        </p>
      ) : (
        <form class="panel auth-form" onSubmit={onSubmit} noValidate aria-labelledby="recover-heading">
          <h2 id="recover-heading">Get a reset link by email</h2>
          <div class="field">
            <label for="recover-email">Email</label>
            <input id="recover-email" type="email" autocomplete="email" required value={email}
              onInput={(e) => setEmail(e.currentTarget.value)} aria-describedby="recover-error" data-testid="recover-email" />
          </div>
          <FormError message={error} id="recover-error" />
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="recover-submit">
            {busy ? 'Sending…' : 'Send the link'}
          </button>
        </form>
      )}
      <p><Link href="/login">Back to sign in</Link></p>
    </>
  );
}
