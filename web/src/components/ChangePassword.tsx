import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { errorMessage } from '../messages';
import { FormError } from './FormError';
import { NewPasswordField } from './NewPasswordField';

/** Account: changes the password; the account's other sessions (other devices) are signed out. */
export function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (!current) return setError('Please enter your current password.');
    if (next.length < 8) return setError('Your new password needs at least 8 characters.');
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'wrong_password' ? 'Your current password is not correct.' : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={onSubmit} noValidate>
        <div class="field">
          <label for="current-password">Current password</label>
          <input id="current-password" type="password" autocomplete="current-password" required value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)} data-testid="current-password" />
        </div>
        <NewPasswordField id="new-password" value={next} onInput={setNext} />
        <FormError message={error} id="password-error" />
        {done && <p class="notice" role="status" data-testid="password-changed">Password changed. Your other devices are signed out.</p>}
        <button type="submit" class="btn" disabled={busy} data-testid="change-password-submit">
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
