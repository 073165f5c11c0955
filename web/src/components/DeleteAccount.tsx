import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { errorMessage } from '../messages';
import { useSession } from '../session';

/** The Account page's "Delete account" section: irreversible, so it says what goes and asks for the password. */
export function DeleteAccount() {
  const session = useSession();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.deleteAccount(password);
      // Every session has ended already; this clears the app's state and goes home.
      await session.signOut();
    } catch (err) {
      // The server's own sentences for these two: a person can act on them as written.
      const known = err instanceof ApiError && (err.code === 'wrong_password' || err.code === 'tasks_in_flight');
      setError(known ? err.message : errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>
        This cannot be undone. Your videos and their files, favorites, remaining credits and every sign-in are removed
        for good. The credit history keeps its amounts and dates, with nothing that names you.
      </p>
      <form onSubmit={submit}>
        <div class="field">
          <label for="delete-account-password">Password</label>
          <input
            id="delete-account-password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            data-testid="delete-account-password"
          />
        </div>
        {error && (
          <p class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-danger" disabled={busy || !password} data-testid="delete-account-submit">
          {busy ? 'Deleting…' : 'Delete my account'}
        </button>
      </form>
    </section>
  );
}
