import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { errorMessage } from '../messages';
import { FormError } from './FormError';

function changeEmailError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'wrong_password') return 'Your password is not correct.';
  if (err instanceof ApiError && err.code === 'email_taken') return 'Another account uses this address.';
  return errorMessage(err);
}

/** Account: asks to move the account to a new address, which changes once the link mailed there is opened. */
export function ChangeEmail() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (!email.includes('@')) return setError('Please enter the new email address.');
    if (!password) return setError('Please enter your password.');
    setBusy(true);
    setError(null);
    setSentTo(null);
    try {
      await api.changeEmail(email.trim(), password);
      setSentTo(email.trim());
      setEmail('');
      setPassword('');
    } catch (err) {
      setError(changeEmailError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="email-heading">
      <h2 id="email-heading">Change email</h2>
      <form onSubmit={onSubmit} noValidate>
        <div class="field">
          <label for="new-email">New email address</label>
          <input id="new-email" type="email" autocomplete="email" required value={email}
            onInput={(e) => setEmail(e.currentTarget.value)} data-testid="new-email" />
        </div>
        <div class="field">
          <label for="change-email-password">Current password</label>
          <input id="change-email-password" type="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} data-testid="change-email-password" />
        </div>
        <FormError message={error} id="change-email-error" />
        {sentTo && (
          <p class="notice" role="status" data-testid="change-email-sent">
            Check the inbox of {sentTo}: open the link we sent there within 24 hours to finish the change. Until then you
            sign in with your current address.
          </p>
        )}
        <button type="submit" class="btn" disabled={busy} data-testid="change-email-submit">
          {busy ? 'Sending…' : 'Change email'}
        </button>
      </form>
    </section>
  );
}
