import type { AuthResponse } from '../api';
import { AuthForm } from '../components/AuthForm';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';

/** Only same-site paths are accepted as a return address. */
function safeNext(raw: string | null): string {
  return raw && raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/login') ? raw : '/create';
}

export function Login() {
  const session = useSession();
  const { path, query } = useLocation();
  const next = safeNext(query.get('next'));

  const done = (r: AuthResponse) => {
    session.signedIn(r.user);
    navigate(next);
  };

  const signup = <AuthForm key="signup" mode="signup" onDone={done} />;
  const login = <AuthForm key="login" mode="login" onDone={done} />;
  return (
    <>
      <h1>{path === '/signup' ? 'Sign up' : 'Sign in'}</h1>
      {session.notice && (
        <p class="notice notice-warn" role="status" data-testid="session-notice">
          {session.notice}
        </p>
      )}
      {session.status === 'signedIn' && (
        <p class="notice" role="status">
          You are signed in as {session.user?.email}.
        </p>
      )}
      <div class="auth-grid">
        {path === '/signup' ? [signup, login] : [login, signup]}
      </div>
    </>
  );
}
