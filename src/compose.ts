import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { createSupabaseTokenVerifier } from './auth/supabase-tokens.js';
import { createTokenService, type TokenService } from './auth/tokens.js';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { prepareDataDir } from './data-dir.js';
import { migrate } from './db/migrate.js';
import { createAccountGate } from './domain/account-gate.js';
import { openDatabase } from './db/open.js';
import type { Deps } from './deps.js';
import { loadOrCreateDevSecret } from './dev-secret.js';
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
  /** Releases everything createDeps opened, in reverse order. */
  close(): Promise<void>;
}

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
  return createTokenService({ secret, ttlSeconds: config.JWT_TTL_SECONDS });
}

/**
 * The real adapters for both providers. A provider without keys is pointed at the built-in simulator, started
 * in-process on a loopback port, so the service runs with no keys at all and the adapters still speak HTTP.
 */
export async function createProviders(config: Config, logger: Logger): Promise<{ providers: VideoProviders; simulator?: Simulator }> {
  const needsSimulator = !config.AI302_API_KEY || !config.KLING_ACCESS_KEY;
  const simKeys = { ai302ApiKey: randomBytes(16).toString('hex'), klingAccessKey: 'simulator', klingSecretKey: randomBytes(32).toString('hex') };
  const simulator = needsSimulator
    ? await startSimulator({
        host: '127.0.0.1',
        delayMs: config.SIMULATOR_DELAY_MS,
        failureRate: config.SIMULATOR_FAILURE_RATE,
        recordRequests: false,
        ...simKeys,
      })
    : undefined;
  const ai302 = config.AI302_API_KEY
    ? createAi302Provider({ apiKey: config.AI302_API_KEY, baseUrl: config.AI302_BASE_URL, timeoutMs: config.PROVIDER_TIMEOUT_MS })
    : createAi302Provider({ apiKey: simKeys.ai302ApiKey, baseUrl: simulator!.url, timeoutMs: config.PROVIDER_TIMEOUT_MS });
  const kling =
    config.KLING_ACCESS_KEY && config.KLING_SECRET_KEY
      ? createKlingProvider({ accessKey: config.KLING_ACCESS_KEY, secretKey: config.KLING_SECRET_KEY, baseUrl: config.KLING_BASE_URL, timeoutMs: config.PROVIDER_TIMEOUT_MS })
      : createKlingProvider({ accessKey: simKeys.klingAccessKey, secretKey: simKeys.klingSecretKey, baseUrl: simulator!.url, timeoutMs: config.PROVIDER_TIMEOUT_MS });
  if (simulator) {
    logger.warn(
      { simulator: simulator.url, ai302: config.AI302_API_KEY ? 'real' : 'simulator', kling: config.KLING_ACCESS_KEY ? 'real' : 'simulator' },
      'no provider key configured: using the built-in provider simulator (set AI302_API_KEY / KLING_ACCESS_KEY + KLING_SECRET_KEY for real videos)',
    );
  }
  return { providers: { ai302, kling }, simulator };
}

/** The composition root: the one place that picks concrete drivers. */
export async function createDeps(config: Config, logger: Logger): Promise<Composition> {
  const dataDirWarning = await prepareDataDir(config.DATA_DIR);
  if (dataDirWarning) logger.warn(dataDirWarning);
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
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
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    const tokens = await createTokens(config);
    const storage = await createStorage(config);
    const { providers, simulator } = await createProviders(config, logger);
    if (simulator) closers.push(() => simulator.close());
    return {
      deps: { config, db, tokens, providers, storage, clock: systemClock, logger, admitUser: createAccountGate({ db, clock: systemClock, signupCredits: config.SIGNUP_CREDITS }) },
      mediaRoot: mediaRootOf(config),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
