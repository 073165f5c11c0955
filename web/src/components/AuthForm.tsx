import { useState } from 'preact/hooks';
import { api, ApiError, type AuthResponse } from '../api';
import { errorMessage } from '../messages';
import { FormError } from './FormError';
import { Link } from './Link';

type Mode = 'login' | 'signup';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function describe(mode: Mode, err: unknown): string {
  if (err instanceof ApiError) {
    if (mode === 'login' && err.status === 401) return 'Wrong email or password.';
    if (mode === 'signup' && err.status === 409) return 'An account with this email already exists. Try signing in instead.';
    if (err.status === 400) return err.message || 'Please check your email and password.';
  }
  return errorMessage(err);
}

/** Sign-in or sign-up form. Test ids are prefixed with the mode: login-email, signup-submit, … */
export function AuthForm({ mode, onDone }: { mode: Mode; onDone: (r: AuthResponse) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorId = `${mode}-error`;

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const trimmed = email.trim();
    if (!EMAIL_RE.test(trimmed)) return setError('Please enter a valid email address.');
    if (mode === 'signup' && password.length < 8) return setError('Your password needs at least 8 characters.');
    if (!password) return setError('Please enter your password.');
    setBusy(true);
    setError(null);
    try {
      const r = mode === 'signup' ? await api.signup(trimmed, password) : await api.login(trimmed, password);
      onDone(r);
    } catch (err) {
      setError(describe(mode, err));
      setBusy(false);
    }
  };

  const title = mode === 'signup' ? 'Create an account' : 'Sign in';
  return (
    <form class="panel auth-form" onSubmit={onSubmit} noValidate aria-labelledby={`${mode}-heading`}>
      <h2 id={`${mode}-heading`}>{title}</h2>
      <div class="field">
        <label for={`${mode}-email`}>Email</label>
        <input
          id={`${mode}-email`}
          type="email"
          name="email"
          autocomplete="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          aria-describedby={errorId}
          data-testid={`${mode}-email`}
        />
      </div>
      <div class="field">
        <label for={`${mode}-password`}>Password</label>
        <input
          id={`${mode}-password`}
          type="password"
          name="password"
          autocomplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          aria-describedby={mode === 'signup' ? `${errorId} signup-password-hint` : errorId}
          data-testid={`${mode}-password`}
        />
        {mode === 'signup' && (
          <p class="hint" id="signup-password-hint">At least 8 characters.</p>
        )}
      </div>
      <FormError message={error} id={errorId} />
      <button type="submit" class="btn btn-primary" disabled={busy} data-testid={`${mode}-submit`}>
        {busy ? (mode === 'signup' ? 'Creating account…' : 'Signing in…') : title}
      </button>
      {mode === 'login' && (
        <p class="hint">
          <Link href="/forgot-password" data-testid="forgot-password">Forgot password?</Link>
        </p>
      )}
    </form>
  );
}
