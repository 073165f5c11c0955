import { useEffect, useRef } from 'preact/hooks';
import { Header } from './components/Header';
import { RequireAuth } from './components/RequireAuth';
import { Account } from './pages/Account';
import { ChangeEmailConfirm } from './pages/ChangeEmailConfirm';
import { ConfirmEmail } from './pages/ConfirmEmail';
import { ForgotPassword } from './pages/ForgotPassword';
import { Create } from './pages/Create';
import { Home } from './pages/Home';
import { Login } from './pages/Login';
import { NotFound } from './pages/NotFound';
import { ResetPassword } from './pages/ResetPassword';
import { Videos } from './pages/Videos';
import { useLocation } from './router';
import { SessionProvider } from './session';

const TITLES: Record<string, string> = {
  '/': 'Home',
  '/login': 'Sign in',
  '/signup': 'Sign up',
  '/create': 'Create a video',
  '/videos': 'My videos',
  '/account': 'Account',
  '/forgot-password': 'Forgot password',
  '/reset-password': 'Set a new password',
  '/confirm': 'Confirm your email',
  '/change-email': 'Change your email',
};

function Routes() {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => {
    document.title = `${TITLES[path] ?? 'Not found'} · SimpleVideo`;
    // After an in-app navigation, move focus to the new page so screen readers and keyboards start there.
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    main.current?.focus({ preventScroll: true });
  }, [path]);

  let page;
  switch (path) {
    case '/':
      page = <Home />;
      break;
    case '/login':
    case '/signup':
      page = <Login />;
      break;
    case '/forgot-password':
      page = <ForgotPassword />;
      break;
    case '/reset-password':
      page = <ResetPassword />;
      break;
    case '/confirm':
      page = <ConfirmEmail />;
      break;
    case '/change-email':
      page = <ChangeEmailConfirm />;
      break;
    case '/create':
      page = <RequireAuth><Create /></RequireAuth>;
      break;
    case '/videos':
      page = <RequireAuth><Videos /></RequireAuth>;
      break;
    case '/account':
      page = <RequireAuth><Account /></RequireAuth>;
      break;
    default:
      page = <NotFound />;
  }
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <Header path={path} />
      <main id="main" ref={main} tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routes />
    </SessionProvider>
  );
}
