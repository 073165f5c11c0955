import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDotEnv } from './dot-env.js';

const names = ['SV_DOTENV_FROM_FILE', 'SV_DOTENV_BOTH'];
afterEach(() => {
  for (const name of names) delete process.env[name];
});

describe('loadDotEnv', () => {
  it('adds what the file sets; the environment wins over it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sv-dotenv-'));
    try {
      const file = path.join(dir, '.env');
      await writeFile(file, 'SV_DOTENV_FROM_FILE=file # a comment\nSV_DOTENV_BOTH="file"\n');
      process.env.SV_DOTENV_BOTH = 'environment';
      expect(loadDotEnv(file)).toBe(true);
      expect(process.env.SV_DOTENV_FROM_FILE).toBe('file');
      expect(process.env.SV_DOTENV_BOTH).toBe('environment');
      expect(loadDotEnv(path.join(dir, 'missing.env'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
