import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { balanceOf, createTask, fileKeysOf, ledgerRows, statusOf } from './helpers/lifecycle.js';

const FIRST_POLL_MS = 5_000;

describe('every task created through any endpoint ends completed, its files in our storage', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SIGNUP_CREDITS: '100' } });
  });
  afterAll(async () => t?.close());

  it('creates, syncs and archives one task per catalog route', async () => {
    const user = await t.signUp();
    const ids = new Map<number, (typeof CATALOG)[number]>();
    for (const product of CATALOG) ids.set(await createTask(t, product, user), product);

    // Not due yet: the first poll is a few seconds after submission.
    expect(await runSyncOnce(t.deps)).toEqual([]);
    t.clock.advance(FIRST_POLL_MS + 1);
    const synced = await runSyncOnce(t.deps);
    expect(synced).toHaveLength(CATALOG.length);
    for (const result of synced) expect(result).toMatchObject({ success: true, newStatus: 'completed', resultUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1/) });

    const archived = await runArchiveOnce(t.deps);
    expect(archived).toHaveLength(CATALOG.length);
    for (const result of archived) expect(result, JSON.stringify(result)).toMatchObject({ success: true, r2VideoUrl: expect.stringMatching(/^\/media\/videos\//) });

    for (const [taskId, product] of ids) {
      const row = await statusOf(t.deps.db, taskId);
      expect(row.status).toBe('completed');
      expect(row.r2_status).toBe('completed');
      const keys = (await fileKeysOf(t.deps.db, taskId))!;
      expect(row.result_url).toBe(`/media/${keys.video}`);
      expect(row.provider_result_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
      const video = await readFile(path.join(t.mediaRoot, keys.video));
      expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
      // 302.ai gives a cover; Kling does not, and ffmpeg (on this machine) makes one from the video.
      expect(row.thumbnail_url, product.id).toBe(`/media/${keys.thumbnail}`);
      const thumbnail = await readFile(path.join(t.mediaRoot, keys.thumbnail));
      expect([thumbnail[0], thumbnail[1]]).toEqual([0xff, 0xd8]);
      if (product.provider === 'ai302') expect(row.provider_thumbnail_url).toMatch(/\.jpg$/);
      else expect(row.provider_thumbnail_url).toBeNull();
    }

    // The copies are served where result_url points.
    const [firstId] = [...ids.keys()];
    const media = await t.app.inject({ method: 'GET', url: (await statusOf(t.deps.db, firstId!)).result_url! });
    expect(media.statusCode).toBe(200);
    expect(media.headers['content-type']).toMatch(/video\/mp4/);

    // Nothing left to do: a second round of both passes finds nothing.
    t.clock.advance(3600_000);
    expect(await runSyncOnce(t.deps)).toEqual([]);
    expect(await runArchiveOnce(t.deps)).toEqual([]);
  });
});

describe('a provider that fails every task', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SIGNUP_CREDITS: '100' }, simulator: { failureRate: 1 } });
  });
  afterAll(async () => t?.close());

  it('fails each task with the reason and refunds it exactly once', async () => {
    const user = await t.signUp();
    const ids: number[] = [];
    for (const product of CATALOG) ids.push(await createTask(t, product, user));
    const charged = CATALOG.reduce((sum, p) => sum + p.credits, 0);
    expect(await balanceOf(t.deps.db, user.id)).toBe(100 - charged);

    t.clock.advance(FIRST_POLL_MS + 1);
    const results = await runSyncOnce(t.deps);
    expect(results.every((r) => r.newStatus === 'failed' && r.success)).toBe(true);
    // Running again changes nothing: the refunds happened once.
    t.clock.advance(3600_000);
    expect(await runSyncOnce(t.deps)).toEqual([]);

    expect(await balanceOf(t.deps.db, user.id)).toBe(100);
    for (const taskId of ids) {
      const row = await statusOf(t.deps.db, taskId);
      expect(row).toMatchObject({ status: 'failed', refunded: true, error_message: expect.stringMatching(/Simulated failure/) });
      expect(await ledgerRows(t.deps.db, taskId, 'refund')).toHaveLength(1);
    }
    expect(await runArchiveOnce(t.deps)).toEqual([]);
  });
});
