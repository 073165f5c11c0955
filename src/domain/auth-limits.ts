import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { clearAttempts, countAttempt } from '../db/queries/auth-attempt-limits.js';
import { errors } from '../errors.js';
import { v6Groups } from './archive/address-policy.js';

const SIGNUP_WINDOW_MS = 3600_000;
const LOGIN_WINDOW_MS = 15 * 60_000;
const MAIL_WINDOW_MS = 3600_000;
/**
 * Mails with a link, per hour: few per address mailed (nobody's inbox is flooded through us), more per requesting
 * address (one office may share one). Counted whether or not the address has an account, so a 429 tells nothing.
 */
const MAILS_PER_EMAIL = 3;
const MAILS_PER_ADDRESS = 10;

/** How long a counter matters: the longest window. Older ones are purged. */
export const ATTEMPT_COUNTERS_KEPT_MS = Math.max(SIGNUP_WINDOW_MS, MAIL_WINDOW_MS);

export interface AuthLimitDeps {
  db: Db;
  clock: Clock;
  /** Accounts one address may create per hour. */
  signupsPerAddress: number;
  /** Sign-in attempts one account takes per 15 minutes, from every address together. */
  loginAttemptsPerAccount: number;
}

/**
 * Whom a limit counts an address as: an IPv4 address, or an IPv6 address's /64 — one subscriber usually holds a
 * whole /64, so counting single IPv6 addresses would give them 2^64 fresh starts.
 */
export function addressSubject(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = v6Groups(address);
  if (!groups) return address;
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 client behind a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** Counts a signup attempt from `address`; refuses (429) past the hourly limit, before any password is hashed. */
export async function limitSignups(deps: AuthLimitDeps, address: string): Promise<void> {
  const now = deps.clock.now();
  const count = await countAttempt(deps.db, { bucket: 'signup', subject: addressSubject(address), now, windowMs: SIGNUP_WINDOW_MS });
  if (count.hits > deps.signupsPerAddress) throw errors.rateLimited(secondsUntil(count.windowEndsAt, now));
}

/**
 * Counts a sign-in attempt for `email` before its password is checked, so parallel guesses are counted too;
 * refuses (429) past the limit without checking. `succeeded` clears the count: a person's own typos do not add up.
 */
export async function limitLoginAttempts(deps: AuthLimitDeps, email: string): Promise<{ succeeded(): Promise<void> }> {
  const now = deps.clock.now();
  const count = await countAttempt(deps.db, { bucket: 'login', subject: email, now, windowMs: LOGIN_WINDOW_MS });
  if (count.hits > deps.loginAttemptsPerAccount) throw errors.loginLocked(secondsUntil(count.windowEndsAt, now));
  return { succeeded: () => clearAttempts(deps.db, 'login', email) };
}

/**
 * Counts a request for a mailed link (`kind`: a password reset, a confirmation sent again, a change of address) from
 * `address` to `email`; refuses (429) past either hourly limit.
 */
export async function limitLinkMails(
  deps: Pick<AuthLimitDeps, 'db' | 'clock'>,
  input: { kind: 'recover' | 'confirm' | 'email_change'; address: string; email: string },
): Promise<void> {
  const now = deps.clock.now();
  const count = (suffix: string, subject: string) =>
    countAttempt(deps.db, { bucket: `${input.kind}-mail-${suffix}`, subject, now, windowMs: MAIL_WINDOW_MS });
  const perEmail = await count('email', input.email);
  if (perEmail.hits > MAILS_PER_EMAIL) throw errors.rateLimited(secondsUntil(perEmail.windowEndsAt, now));
  const perAddress = await count('address', addressSubject(input.address));
  if (perAddress.hits > MAILS_PER_ADDRESS) throw errors.rateLimited(secondsUntil(perAddress.windowEndsAt, now));
}

function secondsUntil(end: Date, now: Date): number {
  return Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000));
}
