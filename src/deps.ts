import type { FastifyBaseLogger } from 'fastify';
import type { PasswordHasher } from './auth/password.js';
import type { TokenService } from './auth/tokens.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/db.js';
import type { AccountGate } from './domain/account-gate.js';
import type { LiveSessions } from './domain/live-sessions.js';
import type { Mailer } from './mail/mailer.js';
import type { VideoProviders } from './providers/video-provider.js';
import type { ObjectStorage } from './storage/object-storage.js';

/** Everything the HTTP layer, the domain and the jobs are given. Built once, in main or a test. */
export interface Deps {
  config: Config;
  db: Db;
  tokens: TokenService;
  /** Hashes and checks our own accounts' passwords, a bounded number at once. */
  passwords: PasswordHasher;
  providers: VideoProviders;
  storage: ObjectStorage;
  /** Outbound mail: SMTP, the development outbox, or off (production without SMTP_URL). */
  mailer: Mailer;
  clock: Clock;
  logger: FastifyBaseLogger;
  /**
   * Decides whether a user whose token verified may use the API: with our own accounts, the token's session must be
   * live; then the account gate opens their credit account the first time.
   */
  admitUser: AccountGate;
  /** Our own accounts' sessions that are still going; told when one ends, so its tokens stop at once here. */
  liveSessions: LiveSessions;
}
