import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { navigate } from '../router';
import { useSession } from '../session';

/** Renders its children for signed-in users; sends everyone else to the sign-in page. */
export function RequireAuth({ children }: { children: ComponentChildren }) {
  const { status } = useSession();
  useEffect(() => {
    if (status === 'signedOut') {
      const here = window.location.pathname + window.location.search;
      navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
    }
  }, [status]);
  if (status !== 'signedIn') {
    return (
      <p class="muted" role="status">
        {status === 'loading' ? 'Loading…' : 'Redirecting to sign in…'}
      </p>
    );
  }
  return <>{children}</>;
}
