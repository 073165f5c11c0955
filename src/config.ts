import { isIP } from 'node:net';
import { z } from 'zod';
import { estimatedEntropyBits } from './secret-strength.js';

/** Empty strings in the environment mean "unset", as in most .env tooling. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());
const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalInt = (min: number) => z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).optional());
/** A job's period in ms: 0 turns the loop off (an external cron calls the job endpoints instead). */
const interval = (fallback: number) =>
  z.coerce.number().int().refine((v) => v === 0 || v >= 100, 'must be 0 (off) or at least 100').default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Supabase's transaction pooler is port 6543 on its pooler hosts (aws-0-<region>.pooler.supabase.com); 5432 there is session mode. */
function poolModeOf(databaseUrl: string | undefined): 'session' | 'transaction' {
  if (!databaseUrl) return 'session';
  try {
    const url = new URL(databaseUrl);
    return url.hostname.endsWith('.pooler.supabase.com') && url.port === '6543' ? 'transaction' : 'session';
  } catch {
    return 'session';
  }
}

/** ACCESS_TOKEN_TTL_SECONDS, else its deprecated name JWT_TTL_SECONDS, else an hour. */
function accessTokenTtlOf(env: { ACCESS_TOKEN_TTL_SECONDS?: number | undefined; JWT_TTL_SECONDS?: number | undefined }): number {
  return env.ACCESS_TOKEN_TTL_SECONDS ?? env.JWT_TTL_SECONDS ?? 3600;
}

/** proxy-addr's names for address ranges, as Fastify's trustProxy takes them. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Whom X-Forwarded-For is believed from: nobody (unset, the default), the last N hops, or the listed proxies.
 * `true` (everyone) is refused: any client could then choose the address its rate limits count against.
 */
const trustProxy = z
  .preprocess((v) => (v === '' || v === undefined ? 'false' : v), z.string())
  .transform((v, ctx): false | number | string[] => {
    const value = v.trim();
    if (value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((e) => e.trim());
    const bad = value === 'true' ? [] : entries.filter((e) => !isProxyAddress(e));
    if (value !== 'true' && bad.length === 0) return entries;
    ctx.addIssue({
      code: 'custom',
      message:
        value === 'true'
          ? 'true would believe any client’s X-Forwarded-For: give the number of proxies in front (e.g. 1) or their addresses'
          : `not a hop count or a list of addresses, CIDR ranges, loopback, linklocal, uniquelocal: ${bad.join(', ')}`,
    });
    return z.NEVER;
  });

/** `address` or `Name <address>`: printable, one line (a line break in a header would let it forge others). */
const MAIL_FROM = /^(?:[^<>\p{Cc}]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/u;

/** Production secrets must be random, not merely long: bits as estimatedEntropyBits counts them. */
const MIN_SECRET_BITS = { JWT_SECRET: 112, CRON_SECRET: 80 } as const;

/** Every variable the service reads, with its rule and default. */
const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  PORT: int(3000),
  HOST: z.string().default('0.0.0.0'),
  TRUST_PROXY: trustProxy,
  /** Deadline for receiving a whole request, body included (a slow sender is cut off with 408). */
  REQUEST_TIMEOUT_MS: int(60_000, 1000),
  /**
   * On SIGTERM, how long requests in flight may take to finish and the passes to stop; then the remaining connections
   * are closed and the process exits.
   */
  SHUTDOWN_TIMEOUT_MS: int(10_000, 100),
  PUBLIC_URL: optionalUrl,
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalString,
  /**
   * Without DATABASE_URL: `postgres`, a PostgreSQL server the service starts from DATA_DIR/postgres (the programs come
   * with npm install), or `pglite`, PostgreSQL in WebAssembly in-process, in DATA_DIR/pgdata. Unset: `postgres`, but a
   * DATA_DIR that holds an earlier version's PGlite database and no cluster stays on PGlite (db/open.ts).
   */
  EMBEDDED_DATABASE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['postgres', 'pglite']).optional()),
  DATABASE_POOL_SIZE: int(20, 1),
  /** 'transaction' when DATABASE_URL is a transaction pooler; unset: detected for Supabase's (see poolModeOf). */
  DATABASE_POOL_MODE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['session', 'transaction']).optional()),
  /** A direct or session-mode connection string used only for LISTEN (live events behind a transaction pooler). */
  DATABASE_LISTEN_URL: optionalString,
  /** How often live events poll for task changes when LISTEN is unavailable (transaction pooler, no listen URL). */
  EVENTS_POLL_MS: int(2_000, 100),
  JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  /** Own accounts: lifetime of an access token; a refresh token gets the next (docs/security.md). Default 3600. */
  ACCESS_TOKEN_TTL_SECONDS: optionalInt(60),
  /** Deprecated name of ACCESS_TOKEN_TTL_SECONDS, honoured when that is unset (a warning says so at start). */
  JWT_TTL_SECONDS: optionalInt(60),
  /** Own accounts: a session whose refresh token goes unused this long is over (its user signs in again). */
  SESSION_IDLE_TIMEOUT_SECONDS: int(30 * 24 * 3600, 3600),
  /** Set: Supabase Auth is the identity provider (its tokens, its users); unset: our own accounts. */
  SUPABASE_URL: z
    .preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional())
    // The issuer and the JWKS address are built on it: https://x.supabase.co/ and https://x.supabase.co are one project.
    .transform((v) => v?.replace(/\/+$/, '')),
  /** The project's legacy HS256 JWT secret, for projects whose tokens are not yet signed with asymmetric keys. */
  SUPABASE_JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  /**
   * The `apikey` Supabase Auth's clients send to /auth/v1 (our own accounts only), compared in constant time. Unset:
   * any value passes outside production; production answers every /auth/v1 request 401 (docs/auth-v1.md).
   */
  PUBLISHABLE_KEY: optionalString,
  CRON_SECRET: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  SIGNUP_CREDITS: int(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_RATE_LIMIT: int(10, 1),
  /** Refreshes one address may ask for per minute, per instance: a client refreshes about once an access token's life. */
  REFRESH_RATE_LIMIT: int(30, 1),
  /** Accounts one address (an IPv6 /64) may create per hour. */
  SIGNUP_RATE_LIMIT: int(5, 1),
  /** Sign-in attempts one account takes per 15 minutes, from all addresses together; a success starts the count anew. */
  LOGIN_ATTEMPT_LIMIT: int(10, 1),
  /**
   * Own accounts and Supabase's alike: whether generation waits until the user has confirmed their address (403
   * email_not_confirmed, nothing charged). Unset: yes in production when SMTP_URL is set (mail can reach them), no
   * otherwise. true in production needs SMTP_URL: without mail, nobody could ever confirm.
   */
  REQUIRE_EMAIL_CONFIRMATION: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false', '1', '0']).optional())
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  /** Password hashes computed at once; more wait their turn, so hashing never takes the whole thread pool. */
  PASSWORD_HASH_CONCURRENCY: int(2, 1),
  GENERATION_RATE_LIMIT: int(20, 1),
  /** A comment line on every idle server-sent events stream this often, before proxies close it (nginx: 60 s). */
  SSE_HEARTBEAT_MS: int(15_000, 100),
  SSE_MAX_STREAMS_PER_USER: int(5, 1),
  SSE_MAX_STREAMS: int(1_000, 1),
  /** Set: /metrics needs `Authorization: Bearer <token>`. */
  METRICS_TOKEN: optionalString,
  /** The task counts on /metrics are read from the database at most this often, however often it is scraped. */
  METRICS_TASKS_CACHE_MS: int(10_000),

  AI302_API_KEY: optionalString,
  AI302_BASE_URL: z.url().default('https://api.302.ai'),
  /**
   * Sent as `?geo=` on 302.ai's status fetch: `global` or `cn`, the region of 302's service that answers. Unset:
   * not sent, and 302 picks (what it then picks is not documented).
   */
  AI302_GEO: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['global', 'cn']).optional()),
  KLING_ACCESS_KEY: optionalString,
  KLING_SECRET_KEY: optionalString,
  KLING_BASE_URL: z.url().default('https://api-singapore.klingai.com'),
  /**
   * Whether the built-in simulator stands in for a provider without keys (and plain-http result URLs, which only
   * it serves, are accepted). Unset: yes outside production, no in production, where a provider without keys is
   * switched off instead. Its clips are samples, not the user's video: production runs it only when asked to.
   */
  PROVIDER_SIMULATOR: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false', '1', '0']).optional())
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  PROVIDER_TIMEOUT_MS: int(30_000, 100),
  PROVIDER_CONCURRENCY: int(8, 1),
  SIMULATOR_DELAY_MS: int(15_000),
  SIMULATOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),

  SYNC_INTERVAL_MS: interval(30_000),
  ARCHIVE_INTERVAL_MS: interval(300_000),
  TASK_TIMEOUT_MS: int(2 * 3600_000, 1000),
  LEASE_MS: int(120_000, 1000),
  SYNC_BATCH_SIZE: int(200, 1),
  ARCHIVE_MAX_BYTES: int(2 * 1024 ** 3, 1),
  ARCHIVE_BATCH_SIZE: int(20, 1),
  /** Deadline for one file download into storage, body included. */
  ARCHIVE_TIMEOUT_MS: int(600_000, 1000),
  /** Whether downloads may reach private, loopback or link-local addresses; defaults to true outside production. */
  ARCHIVE_ALLOW_PRIVATE_HOSTS: z
    .preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false', '1', '0']).optional())
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),

  /**
   * The mail server outbound mail goes through: `smtp://user:pass@host:587` (STARTTLS when offered) or
   * `smtps://user:pass@host:465` (TLS throughout); credentials percent-encoded. Unset: outside production, the
   * development outbox (DATA_DIR/mail, shown at /dev/mail); in production, mail is switched off.
   */
  SMTP_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
  /** The From of every message: an address, or `Name <address>`. */
  MAIL_FROM: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().trim().regex(MAIL_FROM, 'must be an address or `Name <address>`, on one line').default('SimpleVideo <no-reply@localhost>'),
  ),
  /** Deadline of sending one message, from connecting to the mail server to its answer. */
  MAIL_TIMEOUT_MS: int(10_000, 100),

  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: optionalUrl,
  S3_REGION: z.string().default('auto'),
  S3_BUCKET: optionalString,
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_PUBLIC_URL: optionalUrl,
  S3_FORCE_PATH_STYLE: bool(false),
});

/** The names of every environment variable the service reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(variables.shape);

const envSchema = variables
  .superRefine((env, ctx) => {
    const need = (key: keyof typeof env, why: string) => {
      if (env[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    };
    if (env.NODE_ENV === 'production') {
      // We sign tokens only for our own accounts; with Supabase Auth, Supabase signs them.
      if (env.SUPABASE_URL === undefined) need('JWT_SECRET', 'when NODE_ENV=production (unless SUPABASE_URL is set)');
      // Every role that serves the job endpoints; a worker serves none.
      if (env.ROLE !== 'worker') need('CRON_SECRET', 'when NODE_ENV=production and ROLE serves HTTP (all, api)');
      for (const [key, bits] of Object.entries(MIN_SECRET_BITS) as Array<[keyof typeof MIN_SECRET_BITS, number]>) {
        const secret = env[key];
        if (secret !== undefined && estimatedEntropyBits(secret) < bits) {
          ctx.addIssue({ code: 'custom', path: [key], message: `looks guessable (too few random characters): make one with \`openssl rand -hex 32\`` });
        }
      }
    }
    if (env.SESSION_IDLE_TIMEOUT_SECONDS <= accessTokenTtlOf(env)) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_IDLE_TIMEOUT_SECONDS'], message: 'must be longer than the access token lifetime (ACCESS_TOKEN_TTL_SECONDS)' });
    }
    if (env.SUPABASE_JWT_SECRET !== undefined && env.SUPABASE_URL === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SUPABASE_JWT_SECRET'], message: 'needs SUPABASE_URL (without it, JWT_SECRET verifies our own tokens)' });
    }
    if (env.STORAGE_DRIVER === 's3') {
      for (const key of ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_PUBLIC_URL'] as const) {
        need(key, 'when STORAGE_DRIVER=s3');
      }
    }
    if (env.REQUIRE_EMAIL_CONFIRMATION === true && env.NODE_ENV === 'production') {
      need('SMTP_URL', 'with REQUIRE_EMAIL_CONFIRMATION=true in production (confirmation links go by mail)');
    }
    if (env.DATABASE_LISTEN_URL !== undefined) need('DATABASE_URL', 'with DATABASE_LISTEN_URL');
    if ((env.KLING_ACCESS_KEY === undefined) !== (env.KLING_SECRET_KEY === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['KLING_SECRET_KEY'], message: 'KLING_ACCESS_KEY and KLING_SECRET_KEY go together' });
    }
    // With no keys and no simulator every generation route would answer 503: refuse to start instead.
    const simulator = env.PROVIDER_SIMULATOR ?? env.NODE_ENV !== 'production';
    if (!simulator && env.AI302_API_KEY === undefined && env.KLING_ACCESS_KEY === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          `no video provider is configured${env.NODE_ENV === 'production' ? ' (NODE_ENV=production)' : ''}: set AI302_API_KEY, ` +
          'or KLING_ACCESS_KEY and KLING_SECRET_KEY, or both; PROVIDER_SIMULATOR=true runs the built-in simulator instead (sample clips, not real videos)',
      });
    }
  })
  // The simulator listens on 127.0.0.1 in development and tests; production refuses private addresses by default.
  .transform((env) => ({
    ...env,
    ARCHIVE_ALLOW_PRIVATE_HOSTS: env.ARCHIVE_ALLOW_PRIVATE_HOSTS ?? env.NODE_ENV !== 'production',
    PROVIDER_SIMULATOR: env.PROVIDER_SIMULATOR ?? env.NODE_ENV !== 'production',
    REQUIRE_EMAIL_CONFIRMATION: env.REQUIRE_EMAIL_CONFIRMATION ?? (env.NODE_ENV === 'production' && env.SMTP_URL !== undefined),
    DATABASE_POOL_MODE: env.DATABASE_POOL_MODE ?? poolModeOf(env.DATABASE_URL),
    ACCESS_TOKEN_TTL_SECONDS: accessTokenTtlOf(env),
  }));

export type Env = z.output<typeof envSchema>;

/** The whole configuration, read once from the environment. */
export type Config = Readonly<Env>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
