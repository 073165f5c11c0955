import { useSession } from '../session';
import { Link } from './Link';

export function Header({ path }: { path: string }) {
  const session = useSession();
  const signedIn = session.status === 'signedIn';
  return (
    <header class="site-header">
      <div class="header-inner">
        <Link href="/" class="brand">
          SimpleVideo
        </Link>
        <nav aria-label="Main">
          <ul class="nav-list">
            <li>
              <Link href="/" current={path === '/'} data-testid="nav-home">
                Home
              </Link>
            </li>
            <li>
              <Link href="/create" current={path === '/create'} data-testid="nav-create">
                Create
              </Link>
            </li>
            <li>
              <Link href="/videos" current={path === '/videos'} data-testid="nav-videos">
                My videos
              </Link>
            </li>
            <li>
              <Link href="/account" current={path === '/account'} data-testid="nav-account">
                Account
              </Link>
            </li>
          </ul>
        </nav>
        <div class="header-user">
          {signedIn && (
            <span class="balance-pill" title={session.user?.email}>
              <span data-testid="balance">{session.balance ?? '…'}</span> {session.balance === 1 ? 'credit' : 'credits'}
            </span>
          )}
          {signedIn ? (
            <button type="button" class="btn btn-ghost" data-testid="logout" onClick={() => void session.signOut()}>
              Sign out
            </button>
          ) : session.status === 'signedOut' ? (
            <Link href="/login" class="btn btn-ghost" current={path === '/login'} data-testid="nav-login">
              Sign in
            </Link>
          ) : null}
        </div>
      </div>
    </header>
  );
}
