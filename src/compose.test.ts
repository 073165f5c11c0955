import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProviders } from './compose.js';
import { loadConfig } from './config.js';

const logger = pino({ level: 'silent' });
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: '5f0c2a9e7b13d84c6e21f9a07d3b58e4c1a6f2d90b7e35c8', CRON_SECRET: '9d4e1b7a03c6f825e0b9d3a1' };
const KLING = { KLING_ACCESS_KEY: 'ak', KLING_SECRET_KEY: 'sk-0123456789' };

describe('createProviders', () => {
  // The built-in simulator keeps its state in DATA_DIR: never the checkout's ./data.
  let DATA_DIR: string;
  beforeEach(async () => {
    DATA_DIR = await mkdtemp(path.join(tmpdir(), 'sv-compose-'));
  });
  afterEach(async () => rm(DATA_DIR, { recursive: true, force: true }));

  it('in production, switches off a provider without keys instead of simulating it', async () => {
    const { providers, simulator } = await createProviders(loadConfig({ ...PRODUCTION, ...KLING }), logger);
    expect(simulator).toBeUndefined();
    expect(Object.keys(providers)).toEqual(['kling']);
    expect(providers.kling?.name).toBe('kling');
  });

  it('in production, simulates the providers without keys only when asked to', async () => {
    const { providers, simulator } = await createProviders(loadConfig({ ...PRODUCTION, ...KLING, PROVIDER_SIMULATOR: 'true', DATA_DIR }), logger);
    try {
      expect(simulator?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Object.keys(providers).sort()).toEqual(['ai302', 'kling']);
    } finally {
      await simulator?.close();
    }
  });

  it('outside production, simulates the providers without keys (npm start needs none)', async () => {
    const { providers, simulator } = await createProviders(loadConfig({ NODE_ENV: 'development', DATA_DIR }), logger);
    try {
      expect(simulator).toBeDefined();
      expect(Object.keys(providers).sort()).toEqual(['ai302', 'kling']);
    } finally {
      await simulator?.close();
    }
  });

  it('keeps the simulator at one address across restarts (its state under DATA_DIR/simulator)', async () => {
    const first = await createProviders(loadConfig({ NODE_ENV: 'development', DATA_DIR }), logger);
    await first.simulator?.close();
    const second = await createProviders(loadConfig({ NODE_ENV: 'development', DATA_DIR }), logger);
    try {
      expect(second.simulator?.url).toBe(first.simulator?.url);
      expect((await readFile(path.join(DATA_DIR, 'simulator', 'port'), 'utf8')).trim()).toBe(new URL(first.simulator!.url).port);
    } finally {
      await second.simulator?.close();
    }
  });

  it('starts no simulator when every provider has keys', async () => {
    const { providers, simulator } = await createProviders(loadConfig({ ...KLING, AI302_API_KEY: 'sk-302' }), logger);
    expect(simulator).toBeUndefined();
    expect(Object.keys(providers).sort()).toEqual(['ai302', 'kling']);
  });
});
