import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

/** Secrets as `openssl rand -hex` makes them: production refuses guessable ones. */
const JWT = '5f0c2a9e7b13d84c6e21f9a07d3b58e4c1a6f2d90b7e35c8';
const CRON = '9d4e1b7a03c6f825e0b9d3a1';
/** Production also needs a provider (or the simulator, asked for by name). */
const PROVIDER = { AI302_API_KEY: 'sk-302-0123456789' };
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: JWT, CRON_SECRET: CRON };

describe('loadConfig', () => {
  it('runs on defaults alone', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data', SIGNUP_CREDITS: 10, STORAGE_DRIVER: 'local' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ SIGNUP_CREDITS: '-1' }, 'SIGNUP_CREDITS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: JWT }, 'CRON_SECRET'],
    [{ NODE_ENV: 'production', ROLE: 'api', JWT_SECRET: JWT }, 'CRON_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), CRON_SECRET: CRON }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'ab'.repeat(40), CRON_SECRET: CRON }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: JWT, CRON_SECRET: 'c'.repeat(16) }, 'CRON_SECRET'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.1, proxy.internal' }, 'TRUST_PROXY'],
    [{ STORAGE_DRIVER: 's3' }, 'S3_BUCKET'],
    [{ KLING_ACCESS_KEY: 'ak' }, 'KLING_SECRET_KEY'],
    [{ AI302_GEO: 'eu' }, 'AI302_GEO'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ SYNC_INTERVAL_MS: '50' }, 'SYNC_INTERVAL_MS'],
    [{ DATABASE_POOL_MODE: 'statement' }, 'DATABASE_POOL_MODE'],
    [{ DATABASE_LISTEN_URL: 'postgres://db:5432/postgres' }, 'DATABASE_URL'],
    [{ EVENTS_POLL_MS: '10' }, 'EVENTS_POLL_MS'],
    [{ SUPABASE_URL: 'not a url' }, 'SUPABASE_URL'],
    [{ SUPABASE_URL: 'ftp://abcd.supabase.co' }, 'SUPABASE_URL'],
    [{ SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_JWT_SECRET: 'short' }, 'SUPABASE_JWT_SECRET'],
    [{ SUPABASE_JWT_SECRET: 'x'.repeat(32) }, 'SUPABASE_JWT_SECRET'],
    [{ SMTP_URL: 'https://mail.example.com' }, 'SMTP_URL'],
    [{ SMTP_URL: 'mail.example.com:587' }, 'SMTP_URL'],
    [{ MAIL_FROM: 'SimpleVideo' }, 'MAIL_FROM'],
    [{ MAIL_FROM: 'a@example.com\r\nBcc: b@example.com' }, 'MAIL_FROM'],
    [{ MAIL_FROM: 'Video\n <a@example.com>' }, 'MAIL_FROM'],
    [{ MAIL_TIMEOUT_MS: '10' }, 'MAIL_TIMEOUT_MS'],
    [{ ...PRODUCTION, ...PROVIDER, REQUIRE_EMAIL_CONFIRMATION: 'true' }, 'SMTP_URL'],
    [{ REQUIRE_EMAIL_CONFIRMATION: 'maybe' }, 'REQUIRE_EMAIL_CONFIRMATION'],
  ])('names the bad variable (%o)', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it('requires a confirmed address to generate in production with mail, unless told otherwise', () => {
    const smtp = { SMTP_URL: 'smtp://smtp.example.com:587' };
    expect(loadConfig({}).REQUIRE_EMAIL_CONFIRMATION).toBe(false);
    expect(loadConfig({ ...PRODUCTION, ...PROVIDER }).REQUIRE_EMAIL_CONFIRMATION).toBe(false);
    expect(loadConfig({ ...PRODUCTION, ...PROVIDER, ...smtp }).REQUIRE_EMAIL_CONFIRMATION).toBe(true);
    expect(loadConfig({ ...PRODUCTION, ...PROVIDER, ...smtp, REQUIRE_EMAIL_CONFIRMATION: 'false' }).REQUIRE_EMAIL_CONFIRMATION).toBe(false);
    expect(loadConfig({ REQUIRE_EMAIL_CONFIRMATION: 'true' }).REQUIRE_EMAIL_CONFIRMATION).toBe(true);
  });

  it('takes an smtp: or smtps: SMTP_URL and a From with or without a name', () => {
    expect(loadConfig({}).SMTP_URL).toBeUndefined();
    expect(loadConfig({})).toMatchObject({ MAIL_FROM: 'SimpleVideo <no-reply@localhost>', MAIL_TIMEOUT_MS: 10_000 });
    expect(loadConfig({ SMTP_URL: '', MAIL_FROM: '' }).MAIL_FROM).toBe('SimpleVideo <no-reply@localhost>');
    expect(loadConfig({ SMTP_URL: 'smtps://user%40example.com:p%40ss@smtp.example.com:465' }).SMTP_URL).toBe('smtps://user%40example.com:p%40ss@smtp.example.com:465');
    expect(loadConfig({ SMTP_URL: 'smtp://localhost:25' }).SMTP_URL).toBe('smtp://localhost:25');
    expect(loadConfig({ MAIL_FROM: ' no-reply@video.example.com ' }).MAIL_FROM).toBe('no-reply@video.example.com');
    expect(loadConfig({ MAIL_FROM: 'Video Studio <no-reply@video.example.com>' }).MAIL_FROM).toBe('Video Studio <no-reply@video.example.com>');
  });

  it('needs no JWT_SECRET in production when Supabase Auth issues the tokens', () => {
    const config = loadConfig({ NODE_ENV: 'production', CRON_SECRET: CRON, SUPABASE_URL: 'https://abcd.supabase.co', ...PROVIDER });
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it('takes guessable secrets outside production only', () => {
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32), CRON_SECRET: 'c'.repeat(16) }).CRON_SECRET).toBe('c'.repeat(16));
    expect(loadConfig({ ...PRODUCTION, ...PROVIDER }).JWT_SECRET).toBe(JWT);
  });

  it('lets the simulator stand in for providers without keys outside production only', () => {
    expect(loadConfig({}).PROVIDER_SIMULATOR).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).PROVIDER_SIMULATOR).toBe(true);
    expect(loadConfig({ ...PRODUCTION, ...PROVIDER }).PROVIDER_SIMULATOR).toBe(false);
    expect(loadConfig({ ...PRODUCTION, PROVIDER_SIMULATOR: 'true' }).PROVIDER_SIMULATOR).toBe(true);
    expect(loadConfig({ ...PROVIDER, PROVIDER_SIMULATOR: 'false' }).PROVIDER_SIMULATOR).toBe(false);
  });

  it('refuses to start with no provider at all, naming the keys and the opt-in', () => {
    for (const env of [PRODUCTION, { ...PRODUCTION, PROVIDER_SIMULATOR: 'false' }, { PROVIDER_SIMULATOR: 'false' }, { ...PRODUCTION, KLING_ACCESS_KEY: '', AI302_API_KEY: '' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/no video provider is configured.*AI302_API_KEY.*KLING_ACCESS_KEY and KLING_SECRET_KEY.*PROVIDER_SIMULATOR=true/);
    }
  });

  it('runs production with one provider’s keys (the other is switched off) or with the simulator asked for', () => {
    expect(loadConfig({ ...PRODUCTION, AI302_API_KEY: 'sk-302-0123456789' }).AI302_API_KEY).toBe('sk-302-0123456789');
    expect(loadConfig({ ...PRODUCTION, KLING_ACCESS_KEY: 'ak', KLING_SECRET_KEY: 'sk' }).KLING_ACCESS_KEY).toBe('ak');
    expect(loadConfig({ ...PRODUCTION, PROVIDER_SIMULATOR: '1' }).PROVIDER_SIMULATOR).toBe(true);
    expect(() => loadConfig({ ...PRODUCTION, PROVIDER_SIMULATOR: 'yes' })).toThrow(/PROVIDER_SIMULATOR:/);
  });

  it('believes no forwarded address unless told whom to believe', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.168.1.7' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
  });

  it('drops trailing slashes of SUPABASE_URL: the issuer is built on it', () => {
    expect(loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co/' }).SUPABASE_URL).toBe('https://abcd.supabase.co');
    expect(loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co' }).SUPABASE_URL).toBe('https://abcd.supabase.co');
  });

  it('sends no 302.ai geo unless one is set, and takes global or cn', () => {
    expect(loadConfig({}).AI302_GEO).toBeUndefined();
    expect(loadConfig({ AI302_GEO: '' }).AI302_GEO).toBeUndefined();
    expect(loadConfig({ AI302_GEO: 'global' }).AI302_GEO).toBe('global');
    expect(loadConfig({ AI302_GEO: 'cn' }).AI302_GEO).toBe('cn');
  });

  it('gives access tokens an hour, or ACCESS_TOKEN_TTL_SECONDS, or its deprecated name JWT_TTL_SECONDS', () => {
    expect(loadConfig({}).ACCESS_TOKEN_TTL_SECONDS).toBe(3600);
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '900' }).ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    expect(loadConfig({ JWT_TTL_SECONDS: '604800' }).ACCESS_TOKEN_TTL_SECONDS).toBe(604800);
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '900', JWT_TTL_SECONDS: '604800' }).ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '' }).ACCESS_TOKEN_TTL_SECONDS).toBe(3600);
    expect(loadConfig({}).SESSION_IDLE_TIMEOUT_SECONDS).toBe(30 * 24 * 3600);
  });

  it.each([
    [{ ACCESS_TOKEN_TTL_SECONDS: '30' }, 'ACCESS_TOKEN_TTL_SECONDS'],
    [{ JWT_TTL_SECONDS: 'a week' }, 'JWT_TTL_SECONDS'],
    [{ SESSION_IDLE_TIMEOUT_SECONDS: '3600', ACCESS_TOKEN_TTL_SECONDS: '3600' }, 'SESSION_IDLE_TIMEOUT_SECONDS'],
    [{ JWT_TTL_SECONDS: String(60 * 24 * 3600) }, 'SESSION_IDLE_TIMEOUT_SECONDS'],
    [{ REFRESH_RATE_LIMIT: '0' }, 'REFRESH_RATE_LIMIT'],
  ])('refuses session settings that cannot work (%o)', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it('takes 0 as a job interval: the loop is off', () => {
    expect(loadConfig({ ARCHIVE_INTERVAL_MS: '0' }).ARCHIVE_INTERVAL_MS).toBe(0);
  });

  it("takes Supabase's port 6543 on its pooler hosts for a transaction pooler, unless told otherwise", () => {
    const pooler = 'postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com';
    expect(loadConfig({ DATABASE_URL: `${pooler}:6543/postgres` }).DATABASE_POOL_MODE).toBe('transaction');
    expect(loadConfig({ DATABASE_URL: `${pooler}:5432/postgres` }).DATABASE_POOL_MODE).toBe('session');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db.ref.supabase.co:5432/postgres' }).DATABASE_POOL_MODE).toBe('session');
    expect(loadConfig({ DATABASE_URL: `${pooler}:6543/postgres`, DATABASE_POOL_MODE: 'session' }).DATABASE_POOL_MODE).toBe('session');
    expect(loadConfig({}).DATABASE_POOL_MODE).toBe('session');
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', JWT_SECRET: '' });
    expect([config.DATABASE_URL, config.JWT_SECRET]).toEqual([undefined, undefined]);
  });
});

describe('.env.example', () => {
  it('lists every variable the configuration reads, and nothing else, as Node parses the file', async () => {
    const { parseEnv } = await import('node:util');
    const { readFile } = await import('node:fs/promises');
    const listed = Object.keys(parseEnv(await readFile(new URL('../.env.example', import.meta.url), 'utf8')));
    expect([...listed].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('shows each default as the schema has it: copied to .env unchanged, it configures what no file does', async () => {
    const { parseEnv } = await import('node:util');
    const { readFile } = await import('node:fs/promises');
    const copied = loadConfig(parseEnv(await readFile(new URL('../.env.example', import.meta.url), 'utf8')));
    expect(copied).toEqual(loadConfig({}));
  });
});
