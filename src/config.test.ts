import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
    [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }, 'CRON_SECRET'],
    [{ NODE_ENV: 'production', ROLE: 'api', JWT_SECRET: 'x'.repeat(32) }, 'CRON_SECRET'],
    [{ STORAGE_DRIVER: 's3' }, 'S3_BUCKET'],
    [{ KLING_ACCESS_KEY: 'ak' }, 'KLING_SECRET_KEY'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ SYNC_INTERVAL_MS: '50' }, 'SYNC_INTERVAL_MS'],
    [{ DATABASE_POOL_MODE: 'statement' }, 'DATABASE_POOL_MODE'],
    [{ DATABASE_LISTEN_URL: 'postgres://db:5432/postgres' }, 'DATABASE_URL'],
    [{ EVENTS_POLL_MS: '10' }, 'EVENTS_POLL_MS'],
    [{ SUPABASE_URL: 'not a url' }, 'SUPABASE_URL'],
    [{ SUPABASE_URL: 'ftp://abcd.supabase.co' }, 'SUPABASE_URL'],
    [{ SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_JWT_SECRET: 'short' }, 'SUPABASE_JWT_SECRET'],
    [{ SUPABASE_JWT_SECRET: 'x'.repeat(32) }, 'SUPABASE_JWT_SECRET'],
  ])('names the bad variable (%o)', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it('needs no JWT_SECRET in production when Supabase Auth issues the tokens', () => {
    const config = loadConfig({ NODE_ENV: 'production', CRON_SECRET: 'c'.repeat(16), SUPABASE_URL: 'https://abcd.supabase.co' });
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it('drops trailing slashes of SUPABASE_URL: the issuer is built on it', () => {
    expect(loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co/' }).SUPABASE_URL).toBe('https://abcd.supabase.co');
    expect(loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co' }).SUPABASE_URL).toBe('https://abcd.supabase.co');
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
