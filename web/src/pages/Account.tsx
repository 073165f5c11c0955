import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Credits, type LedgerEntry, type Subscription } from '../api';
import { ChangeEmail } from '../components/ChangeEmail';
import { ChangePassword } from '../components/ChangePassword';
import { DeleteAccount } from '../components/DeleteAccount';
import { EmailNotice } from '../components/EmailNotice';
import { LedgerTable } from '../components/LedgerTable';
import { Sessions } from '../components/Sessions';
import { SubscriptionInfo } from '../components/SubscriptionInfo';
import { errorMessage } from '../messages';
import { useSession } from '../session';

export function Account() {
  const session = useSession();
  const [credits, setCredits] = useState<Credits | null>(null);
  const [entries, setEntries] = useState<LedgerEntry[] | null>(null);
  // undefined: loading; null: no subscription.
  const [subscription, setSubscription] = useState<Subscription | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const fail = (err: unknown) => live && setError(errorMessage(err));
    api.credits().then((c) => live && setCredits(c)).catch(fail);
    api.creditHistory(50).then((h) => live && setEntries(h.entries ?? [])).catch(fail);
    api
      .subscription()
      .then((s) => live && setSubscription(s))
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) {
          if (live) setSubscription(null);
        } else fail(err);
      });
    void session.refreshBalance();
    return () => {
      live = false;
    };
  }, []);

  return (
    <>
      <h1>Account</h1>
      <p class="muted" data-testid="account-email">Signed in as {session.user?.email}</p>
      <EmailNotice />
      {error && (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      )}

      <section class="panel" aria-labelledby="credits-heading">
        <h2 id="credits-heading">Credits</h2>
        <dl class="facts stats">
          <div>
            <dt>Balance</dt>
            <dd data-testid="account-balance">{credits?.credits_balance ?? '…'}</dd>
          </div>
          <div>
            <dt>Purchased</dt>
            <dd data-testid="account-purchased">{credits?.total_credits_purchased ?? '…'}</dd>
          </div>
          <div>
            <dt>Used</dt>
            <dd data-testid="account-used">{credits?.total_credits_used ?? '…'}</dd>
          </div>
        </dl>
      </section>

      <section class="panel" aria-labelledby="sub-heading">
        <h2 id="sub-heading">Subscription</h2>
        {subscription === undefined ? <p class="muted">Loading…</p> : <SubscriptionInfo subscription={subscription} />}
      </section>

      <section class="panel" aria-labelledby="history-heading">
        <h2 id="history-heading">Credit history</h2>
        {entries === null ? <p class="muted">Loading…</p> : <LedgerTable entries={entries} />}
      </section>

      <ChangeEmail />

      <ChangePassword />

      <Sessions />

      <p>
        <button type="button" class="btn" onClick={() => void session.signOut()} data-testid="account-logout">
          Sign out
        </button>
      </p>

      <DeleteAccount />
    </>
  );
}
