import type { LedgerEntry } from '../api';
import { formatDateTime } from '../format';

const REASONS: Record<string, string> = {
  signup: 'Welcome credits',
  grant: 'Credits added',
  purchase: 'Credits purchased',
  generation: 'Video generation',
  refund: 'Refund for a failed video',
  adjustment: 'Adjustment',
};

export function reasonLabel(reason: string): string {
  return REASONS[reason] ?? reason.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export function LedgerTable({ entries }: { entries: LedgerEntry[] }) {
  if (entries.length === 0) return <p class="muted">No credit activity yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Credit history table">
      <table class="ledger">
        <caption class="visually-hidden">Credit history, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">What</th>
            <th scope="col" class="num">Change</th>
            <th scope="col" class="num">Balance</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-testid="ledger-row" data-reason={e.reason}>
              <td>{formatDateTime(e.created_at)}</td>
              <td>
                {e.reason === 'grant' && e.delta < 0 ? 'Credits removed' : reasonLabel(e.reason)}
                {e.task_id != null && <span class="muted small"> (video #{e.task_id})</span>}
              </td>
              <td class={`num ${e.delta >= 0 ? 'plus' : 'minus'}`}>{e.delta > 0 ? `+${e.delta}` : String(e.delta).replace('-', '−')}</td>
              <td class="num">{e.balance_after}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
