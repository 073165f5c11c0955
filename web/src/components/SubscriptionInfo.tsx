import type { Subscription } from '../api';
import { formatDate } from '../format';

/** `subscription` null means "no subscription" (the API answered 404). */
export function SubscriptionInfo({ subscription: s }: { subscription: Subscription | null }) {
  if (!s) {
    return (
      <p data-testid="subscription" data-plan="free">
        Free plan — no subscription
      </p>
    );
  }
  return (
    <dl class="facts" data-testid="subscription" data-plan={s.plan_type}>
      <div>
        <dt>Plan</dt>
        <dd>{s.plan_type}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>{s.status}</dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>{formatDate(s.start_date)}</dd>
      </div>
      <div>
        <dt>{s.renewal_status === 'auto' ? 'Renews' : 'Ends'}</dt>
        <dd>
          {formatDate(s.end_date)}
          {s.renewal_status === 'auto' ? ' (automatic renewal)' : ' (manual renewal)'}
        </dd>
      </div>
    </dl>
  );
}
