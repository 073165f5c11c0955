import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { createPasswordHasher } from './auth/password.js';
import { createSupabaseTokenVerifier } from './auth/supabase-tokens.js';
import { createTokenService, type TokenService } from './auth/tokens.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { prepareDataDir } from './data-dir.js';
import { prepareDatabase } from './db/prepare.js';
import { createAccountGate } from './domain/account-gate.js';
import { createLiveSessions, requireLiveSession } from './domain/live-sessions.js';
import { embeddedEngineOf, openDatabase } from './db/open.js';
import { createPgliteDatabaseApart } from './db/pglite-first-start.js';
import type { Deps } from './deps.js';
import { loadOrCreateDevSecret } from './dev-secret.js';
import { mailOff, type Mailer } from './mail/mailer.js';
import { createMailOutbox, type MailOutbox } from './mail/outbox.js';
import { createSmtpMailer } from './mail/smtp.js';
import { createAi302Provider } from './providers/ai302.js';
import { createKlingProvider } from './providers/kling.js';
import { startSimulator, type Simulator } from './providers/simulator/index.js';
import type { VideoProviders } from './providers/video-provider.js';
import { createLocalStorage, sweepStaleUploads } from './storage/local.js';
import type { ObjectStorage } from './storage/object-storage.js';
import { createS3Storage } from './storage/s3.js';

export interface Composition {
  deps: Deps;
  /** Where the local storage driver keeps its files (served at /media). */
  mediaRoot: string;
  /** The development outbox, when it is the mail driver (shown at /dev/mail). */
  mailOutbox?: MailOutbox;
  /** Releases everything createDeps opened, in reverse order. */
  close(): Promise<void>;
}

/** Sign-ins waiting for a password check beyond which the next is answered 503: at ~75 ms a hash, seconds of queue. */
const PASSWORD_CHECKS_WAITING = 64;

export function mediaRootOf(config: Pick<Config, 'DATA_DIR'>): string {
  return path.join(config.DATA_DIR, 'media');
}

export async function createStorage(config: Config): Promise<ObjectStorage> {
  if (config.STORAGE_DRIVER === 's3') {
    return createS3Storage({
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      bucket: config.S3_BUCKET!,
      accessKeyId: config.S3_ACCESS_KEY_ID!,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY!,
      publicUrl: config.S3_PUBLIC_URL!,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  const root = mediaRootOf(config);
  await sweepStaleUploads(root);
  return createLocalStorage({ root, publicBaseUrl: config.PUBLIC_URL?.replace(/\/$/, '') ?? '' });
}

/** Supabase Auth's tokens when SUPABASE_URL is set; else our own accounts', signed with JWT_SECRET or the dev secret. */
export async function createTokens(config: Config): Promise<TokenService> {
  if (config.SUPABASE_URL) {
    return createSupabaseTokenVerifier({
      supabaseUrl: config.SUPABASE_URL,
      ...(config.SUPABASE_JWT_SECRET !== undefined && { legacySecret: config.SUPABASE_JWT_SECRET }),
    });
  }
  const secret = config.JWT_SECRET ?? (await loadOrCreateDevSecret(config.DATA_DIR));
  // Supabase Auth's issuer, <site>/auth/v1, where our /auth/v1 answers; without PUBLIC_URL the site is unknown.
  const issuer = config.PUBLIC_URL && `${new URL(config.PUBLIC_URL).origin}/auth/v1`;
  return createTokenService({ secret, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, ...(issuer && { issuer }) });
}

/**
 * Who may in once a token verified. With our own accounts, the session the token names must be live (a signed-out
 * session's tokens are refused before they expire); with Supabase Auth, its sessions are Supabase's to end.
 */
export function createGates(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'tokens'>): Pick<Deps, 'admitUser' | 'liveSessions'> {
  const liveSessions = createLiveSessions(deps);
  const accounts = createAccountGate({ db: deps.db, clock: deps.clock, signupCredits: deps.config.SIGNUP_CREDITS });
  return { liveSessions, admitUser: deps.tokens.issue ? requireLiveSession(liveSessions, accounts) : accounts };
}

/**
 * SMTP when SMTP_URL is set. Without it, outside production, the development outbox, so the whole flow runs with no
 * mail server; in production, mail is off (sends fail with MailError 'off'): a folder of unsent mail on a server
 * would look like delivery and help nobody.
 */
export function createMailer(config: Config, clock: Clock, logger: Logger): { mailer: Mailer; mailOutbox?: MailOutbox } {
  if (config.SMTP_URL) {
    // The host only: the URL carries the server's password.
    logger.info({ smtp: new URL(config.SMTP_URL).host }, 'mail goes through SMTP');
    return { mailer: createSmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM, timeoutMs: config.MAIL_TIMEOUT_MS }) };
  }
  if (config.NODE_ENV === 'production') {
    logger.warn('SMTP_URL is not set: mail is switched off (nothing can be mailed to users)');
    return { mailer: mailOff };
  }
  const mailOutbox = createMailOutbox({ dir: path.join(config.DATA_DIR, 'mail'), from: config.MAIL_FROM, clock, logger });
  logger.info('SMTP_URL is not set: mail is kept in the development outbox (DATA_DIR/mail), shown at /dev/mail');
  return { mailer: mailOutbox, mailOutbox };
}

/**
 * The real adapters for the providers with keys. A provider without keys is pointed at the built-in simulator,
 * started in-process on a loopback port, when PROVIDER_SIMULATOR allows it (so the service runs with no keys at all
 * and the adapters still speak HTTP); otherwise it is left out, switched off: its routes answer 503 and charge nothing.
 */
export async function createProviders(config: Config, logger: Logger): Promise<{ providers: VideoProviders; simulator?: Simulator }> {
  const { AI302_API_KEY: apiKey, KLING_ACCESS_KEY: accessKey, KLING_SECRET_KEY: secretKey } = config;
  const missing = (['ai302', 'kling'] as const).filter((name) => (name === 'ai302' ? !apiKey : !(accessKey && secretKey)));
  const simKeys = { ai302ApiKey: randomBytes(16).toString('hex'), klingAccessKey: 'simulator', klingSecretKey: randomBytes(32).toString('hex') };
  const simulator =
    missing.length > 0 && config.PROVIDER_SIMULATOR
      ? await startSimulator({
          host: '127.0.0.1',
          delayMs: config.SIMULATOR_DELAY_MS,
          failureRate: config.SIMULATOR_FAILURE_RATE,
          // 302 issues both id forms; development sees both.
          ai302TaskIds: 'alternating',
          recordRequests: false,
          // Its tasks and port kept under DATA_DIR: result URLs it gave stay fetchable after a restart.
          stateDir: path.join(config.DATA_DIR, 'simulator'),
          ...simKeys,
        })
      : undefined;
  const timeoutMs = config.PROVIDER_TIMEOUT_MS;
  const ai302 = apiKey
    ? createAi302Provider({ apiKey, baseUrl: config.AI302_BASE_URL, geo: config.AI302_GEO, timeoutMs })
    : simulator && createAi302Provider({ apiKey: simKeys.ai302ApiKey, baseUrl: simulator.url, geo: config.AI302_GEO, timeoutMs });
  const kling = accessKey && secretKey
    ? createKlingProvider({ accessKey, secretKey, baseUrl: config.KLING_BASE_URL, timeoutMs })
    : simulator && createKlingProvider({ accessKey: simKeys.klingAccessKey, secretKey: simKeys.klingSecretKey, baseUrl: simulator.url, timeoutMs });
  if (simulator) {
    logger.warn(
      { simulator: simulator.url, simulated: missing },
      'provider keys missing: the built-in simulator stands in (sample clips, not real videos; set AI302_API_KEY / KLING_ACCESS_KEY + KLING_SECRET_KEY)',
    );
    if (simulator.previousUrl) {
      logger.warn(
        { simulator: simulator.url, previous: simulator.previousUrl },
        "the simulator's earlier port was taken: results it gave there can be archived only once it listens there again",
      );
    }
  } else if (missing.length > 0) {
    logger.warn({ switchedOff: missing }, 'provider keys missing: these providers are switched off (their routes answer 503, the catalog leaves them out)');
  }
  return { providers: { ...(ai302 && { ai302 }), ...(kling && { kling }) }, ...(simulator && { simulator }) };
}

/** The composition root: the one place that picks concrete drivers. */
export async function createDeps(config: Config, logger: Logger): Promise<Composition> {
  const dataDirWarning = await prepareDataDir(config.DATA_DIR);
  if (dataDirWarning) logger.warn(dataDirWarning);
  const embeddedDatabase = embeddedEngineOf(config.DATA_DIR, config.EMBEDDED_DATABASE);
  if (!config.DATABASE_URL && embeddedDatabase === 'pglite' && (await createPgliteDatabaseApart(config.DATA_DIR))) {
    logger.info({ dataDir: config.DATA_DIR }, 'created the embedded database (first start)');
  }
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    embeddedDatabase,
    log: logger,
    poolSize: config.DATABASE_POOL_SIZE,
    poolMode: config.DATABASE_POOL_MODE,
    listenUrl: config.DATABASE_LISTEN_URL,
    onListenError: (err) => logger.warn({ err }, 'the LISTEN connection failed; reconnecting'),
  });
  const closers: Array<() => Promise<void>> = [() => db.close()];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err: unknown) => logger.error({ err }, 'error while closing'));
  };
  try {
    const { applied, adopted } = await prepareDatabase(db);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    if (adopted.tasks + adopted.users > 0) logger.info({ adopted }, "adopted the original system's rows");
    const tokens = await createTokens(config);
    if (config.JWT_TTL_SECONDS !== undefined) {
      logger.warn({ accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS }, 'JWT_TTL_SECONDS is deprecated: set ACCESS_TOKEN_TTL_SECONDS instead (it wins when both are set)');
    }
    const storage = await createStorage(config);
    const { providers, simulator } = await createProviders(config, logger);
    if (simulator) closers.push(() => simulator.close());
    const { mailer, mailOutbox } = createMailer(config, systemClock, logger);
    return {
      deps: {
        config,
        db,
        tokens,
        passwords: createPasswordHasher({ concurrency: config.PASSWORD_HASH_CONCURRENCY, maxWaiting: PASSWORD_CHECKS_WAITING }),
        providers,
        storage,
        mailer,
        clock: systemClock,
        logger,
        ...createGates({ db, clock: systemClock, config, tokens }),
      },
      mediaRoot: mediaRootOf(config),
      mailOutbox,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
