import { execFile } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/providers/simulator/index.js';
import { runSmokeCommand } from '../src/smoke/command.js';

// Distinctive, so any leak into the transcript is found.
const KEYS = { ai302ApiKey: 'smoke-302-key-7c1e9a44d0', klingAccessKey: 'smoke-access-key-3b8f21', klingSecretKey: 'smoke-secret-key-91d4c6e2a7' };
const SECRETS = Object.values(KEYS);

let sim: Simulator;
let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // Real time: the command polls with its own clock, every 50 ms here.
  sim = await startSimulator({ delayMs: 300, failureRate: 0, ...KEYS, ai302TaskIds: 'prefixed' });
  dataDir = await mkdtemp(path.join(tmpdir(), 'sv-smoke-'));
  env = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    AI302_API_KEY: KEYS.ai302ApiKey,
    AI302_BASE_URL: sim.url,
    AI302_GEO: 'global',
    KLING_ACCESS_KEY: KEYS.klingAccessKey,
    KLING_SECRET_KEY: KEYS.klingSecretKey,
    KLING_BASE_URL: sim.url,
  };
});
afterAll(async () => {
  await sim?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function smoke(args: string[], environment = env): Promise<{ archived: boolean; transcript: string }> {
  const lines: string[] = [];
  const archived = await runSmokeCommand([...args, '--poll-seconds', '0.05'], environment, (line) => lines.push(line));
  return { archived, transcript: lines.join('\n') };
}

/** The file the transcript says it stored, under the local driver's root. */
async function expectStored(transcript: string, kind: 'video' | 'thumbnail'): Promise<void> {
  const key = new RegExp(`${kind} stored as (videos/[0-9a-f]{32}\\.(?:mp4|jpg)) \\(\\d+ bytes\\)`).exec(transcript)?.[1];
  expect(key, transcript).toBeDefined();
  await access(path.join(dataDir, 'media', key!));
}

describe('npm run smoke against the simulator', () => {
  it.each([
    ['ai302', false, 'POST', '/klingai/m2v_16_txt2video_5s', 1],
    ['ai302', true, 'POST', '/klingai/m2v_16_img2video_5s', 2],
    ['kling', false, 'POST', '/v1/videos/text2video', 1],
    ['kling', true, 'POST', '/v1/videos/image2video', 2],
  ] as const)('%s (i2v: %s): submits, follows, archives, prints every call with the keys masked', async (provider, i2v, method, createPath, credits) => {
    const { archived, transcript } = await smoke(['--provider', provider, ...(i2v ? ['--i2v'] : [])]);
    expect(archived, transcript).toBe(true);
    for (const secret of SECRETS) expect(transcript).not.toContain(secret);
    expect(transcript).toContain(`→ ${method} ${sim.url}${createPath}`);
    expect(transcript).toMatch(/^ {2}authorization: \[redacted\]$/m);
    // Every request has its answer.
    expect(transcript.match(/^→ /gm)?.length).toBe(transcript.match(/^← 200 /gm)?.length);
    expect(transcript).toMatch(/^ {3}status: processing$/m);
    expect(transcript).toMatch(/^ {3}status: completed$/m);
    expect(transcript).toContain(`our catalog: ${credits} credit`);
    expect(transcript).toMatch(/== result: completed and archived \(\/media\/videos\/[0-9a-f]{32}\.mp4\)$/);
    await expectStored(transcript, 'video');

    if (provider === 'ai302') {
      expect(transcript).toMatch(new RegExp(`→ GET ${sim.url}/klingai/task/kling_[0-9a-f]{12}/fetch\\?geo=global`));
      expect(transcript).toContain('"result":1');
      await expectStored(transcript, 'thumbnail');
    } else {
      expect(transcript).toMatch(/"code":0/);
      expect(transcript).toContain('the provider\'s answers: data.final_unit_deduction = 1');
    }
    if (i2v) expect(transcript).toMatch(provider === 'ai302' ? /input_image=<file input\.png, image\/png, \d+ bytes>/ : /"image":"<\d+ chars>"/);
  });

  it('reports a refused submission and its reason, and archives nothing', async () => {
    sim.faults.enqueue('noBalance');
    const { archived, transcript } = await smoke(['--provider', 'ai302']);
    expect(archived).toBe(false);
    expect(transcript).toContain('← 403');
    expect(transcript).toContain('"err_code":-10004');
    expect(transcript).toMatch(/== result: failed: submission refused: account: Insufficient account balance$/);
  });

  it('refuses to run without the provider’s keys, or with bad options', async () => {
    const { AI302_API_KEY: _key, ...withoutKey } = env;
    await expect(smoke(['--provider', 'ai302'], withoutKey)).rejects.toThrow(/AI302_API_KEY is not set/);
    await expect(smoke(['--provider', 'openai'])).rejects.toThrow(/--provider: .*\n\nUsage: npm run smoke/);
    await expect(smoke(['--provider', 'kling', '--hq'])).rejects.toThrow(/Unknown option '--hq'[\s\S]*Usage/);
  });

  it('runs as `npm run smoke` does, printing to stdout and exiting 0', async () => {
    const tsx = path.resolve('node_modules/.bin/tsx');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(tsx, ['src/smoke.ts', '--provider', 'kling', '--poll-seconds', '0.05'], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, out) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      );
    });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('== result: completed and archived');
    for (const secret of SECRETS) expect(stdout).not.toContain(secret);
  });
});
