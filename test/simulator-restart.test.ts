import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAi302Provider } from '../src/providers/ai302.js';
import { createKlingProvider } from '../src/providers/kling.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/providers/simulator/index.js';
import type { ProviderName, SubmitRequest, VideoProvider } from '../src/providers/video-provider.js';

const KEYS = { ai302ApiKey: 'sim-302-key', klingAccessKey: 'sim-ak', klingSecretKey: 'sim-sk-0123456789abcdef' };
const DELAY_MS = 10_000;

function request(model: string): SubmitRequest {
  return { kind: 't2v', durationSeconds: 5, highQuality: false, model, prompt: 'a fox', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9', clientTaskId: `sv-${Math.random()}` };
}

/** A GET on a fresh connection (fetch's pool may hold a socket to the closed first run). */
function statusOfGet(url: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).once('error', reject);
  });
}

function adapters(sim: Simulator): Record<ProviderName, VideoProvider> {
  return {
    ai302: createAi302Provider({ apiKey: KEYS.ai302ApiKey, baseUrl: sim.url, timeoutMs: 5_000 }),
    kling: createKlingProvider({ accessKey: KEYS.klingAccessKey, secretKey: KEYS.klingSecretKey, baseUrl: sim.url, timeoutMs: 5_000 }),
  };
}

describe('the simulator with a state folder (the built-in one: DATA_DIR/simulator)', () => {
  let stateDir: string;
  let now = Date.now();
  const options = (): SimulatorOptions => ({ ...KEYS, delayMs: DELAY_MS, failureRate: 0, now: () => now, recordRequests: false, stateDir });
  const running: Simulator[] = [];
  const start = async (extra: Partial<SimulatorOptions> = {}) => {
    const sim = await startSimulator({ ...options(), ...extra });
    running.push(sim);
    return sim;
  };
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'sv-sim-'));
  });
  afterEach(async () => {
    for (const sim of running.splice(0)) await sim.close().catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('serves its earlier results after a restart, at the same address, and follows unfinished tasks on', async () => {
    const first = await start();
    const providers = adapters(first);
    const done = await providers.ai302.submit(request('m2v_16_txt2video_1_6_5s'));
    const doneKling = await providers.kling.submit(request('kling-v1-6'));
    now += DELAY_MS;
    const unfinished = await providers.kling.submit(request('kling-v1-6'));
    const status = await providers.ai302.fetchStatus({ kind: 't2v', externalTaskId: done.externalTaskId });
    const klingStatus = await providers.kling.fetchStatus({ kind: 't2v', externalTaskId: doneKling.externalTaskId });
    if (status.state !== 'completed' || klingStatus.state !== 'completed') throw new Error(`not completed: ${JSON.stringify([status, klingStatus])}`);
    await first.close();
    running.length = 0;

    const second = await start();
    expect(second.url).toBe(first.url);
    expect(second.previousUrl).toBeUndefined();
    for (const url of [status.videoUrl, status.thumbnailUrl!, klingStatus.videoUrl]) expect(await statusOfGet(url), url).toBe(200);
    // Tasks still running at the restart go on to finish; new ones get ids of their own.
    now += DELAY_MS;
    const again = adapters(second);
    expect(await again.kling.fetchStatus({ kind: 't2v', externalTaskId: unfinished.externalTaskId })).toMatchObject({ state: 'completed' });
    const fresh = await again.kling.submit(request('kling-v1-6'));
    expect([done.externalTaskId, doneKling.externalTaskId, unfinished.externalTaskId]).not.toContain(fresh.externalTaskId);
    expect(second.tasks.size).toBe(4);
  });

  it('moves to another port when its recorded one is taken, and says where it was', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await first.close();
    running.length = 0;
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const second = await start();
      expect(second.url).not.toBe(first.url);
      expect(second.previousUrl).toBe(first.url);
      expect((await readFile(path.join(stateDir, 'port'), 'utf8')).trim()).toBe(new URL(second.url).port);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('skips a damaged line of its task file', async () => {
    const first = await start();
    await adapters(first).ai302.submit(request('m2v_16_txt2video_1_6_5s'));
    await first.close();
    running.length = 0;
    const { appendFile } = await import('node:fs/promises');
    await appendFile(path.join(stateDir, 'tasks.jsonl'), '{"id": "half a line\n');
    const second = await start();
    expect(second.tasks.size).toBe(1);
  });
});
