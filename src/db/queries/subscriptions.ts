import type { Queryable } from '../db.js';
import { iso } from './values.js';

export interface SubscriptionRow {
  id: number;
  user_id: string;
  plan_type: string;
  status: string;
  credits_per_period: number;
  start_date: string;
  end_date: string;
  next_renewal_date: string;
  auto_renew: boolean;
  created_at: string;
  updated_at: string;
}

type Raw = Omit<SubscriptionRow, 'start_date' | 'end_date' | 'next_renewal_date' | 'created_at' | 'updated_at'> &
  Record<'start_date' | 'end_date' | 'next_renewal_date' | 'created_at' | 'updated_at', Date>;

const COLUMNS = `id, user_id, plan_type, status, credits_per_period, start_date, end_date, next_renewal_date, auto_renew, created_at, updated_at`;

function toRow(r: Raw): SubscriptionRow {
  return {
    ...r,
    start_date: iso(r.start_date),
    end_date: iso(r.end_date),
    next_renewal_date: iso(r.next_renewal_date),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

/** The user's most recent subscription. */
export async function findLatestSubscription(db: Queryable, userId: string): Promise<SubscriptionRow | undefined> {
  const { rows } = await db.query<Raw>(
    `select ${COLUMNS} from user_subscriptions where user_id = $1 order by created_at desc, id desc limit 1`,
    [userId],
  );
  return rows[0] && toRow(rows[0]);
}

export async function insertSubscription(
  db: Queryable,
  input: { userId: string; planType: string; status: string; creditsPerPeriod: number; days: number; autoRenew: boolean },
): Promise<SubscriptionRow> {
  const { rows } = await db.query<Raw>(
    `insert into user_subscriptions (user_id, plan_type, status, credits_per_period, start_date, end_date, next_renewal_date,
                                     subscription_interval, auto_renew)
     values ($1, $2, $3, $4, now(), now() + make_interval(days => $5), now() + make_interval(days => $5), $5::int::text || ' days', $6)
     returning ${COLUMNS}`,
    [input.userId, input.planType, input.status, input.creditsPerPeriod, input.days, input.autoRenew],
  );
  return toRow(rows[0]!);
}
