import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asService } from '../src/db/scope.js';
import type { Deps } from '../src/deps.js';
import { publicOnly } from '../src/domain/archive/address-policy.js';
import { safeGet } from '../src/domain/archive/safe-fetch.js';
import { findProduct } from '../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createS3Storage } from '../src/storage/s3.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { createTask, fileKeysOf, statusOf } from './helpers/lifecycle.js';
import { startS3rver, type RunningS3rver } from './helpers/s3rver.js';

const t2v = findProduct('ai302-t2v-5s')!;

async function completedTask(t: TestApp, user: TestUser): Promise<{ taskId: number; videoUrl: string; thumbnailUrl: string }> {
  const taskId = await createTask(t, t2v, user);
  t.clock.advance(6_000);
  const results = await runSyncOnce(t.deps);
  const mine = results.find((r) => r.taskId === taskId)!;
  return { taskId, videoUrl: mine.resultUrl!, thumbnailUrl: mine.thumbnailUrl! };
}

function upload(t: TestApp, payload?: object) {
  return t.app.inject({ method: 'POST', url: '/api/task/upload-to-r2', ...(payload ? { payload } : {}) });
}

describe('upload-to-r2, single-task mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('validates its body', async () => {
    for (const payload of [{ taskId: 1 }, { taskId: 1, userId: 'u' }, { taskId: 'x', userId: 'u', videoUrl: 'v' }, { userId: 'u', videoUrl: 'v' }]) {
      const res = await upload(t, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toEqual({ error: 'Missing required parameters', code: 'missing_parameters' });
    }
  });

  it('copies only the URLs the provider gave, for the task’s owner only', async () => {
    const owner = await t.signUp();
    const stranger = await t.signUp();
    const task = await completedTask(t, owner);
    const good = { taskId: task.taskId, userId: owner.id, videoUrl: task.videoUrl, thumbnailUrl: task.thumbnailUrl };

    expect((await upload(t, { ...good, userId: stranger.id })).json()).toEqual({ error: 'Task not found', code: 'task_not_found' });
    expect((await upload(t, { ...good, userId: 'not-a-uuid' })).statusCode).toBe(404);
    expect((await upload(t, { ...good, taskId: 999_999 })).statusCode).toBe(404);
    for (const videoUrl of ['http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd', `${task.videoUrl}?x=1`]) {
      const res = await upload(t, { ...good, videoUrl });
      expect(res.statusCode, videoUrl).toBe(400);
      expect(res.json().code).toBe('url_mismatch');
    }
    expect((await upload(t, { ...good, thumbnailUrl: 'http://10.0.0.1/x.jpg' })).json().code).toBe('url_mismatch');
    // Nothing was downloaded by the refused calls: no copy even began.
    expect(await fileKeysOf(t.deps.db, task.taskId)).toBeUndefined();

    const res = await upload(t, good);
    expect(res.statusCode, res.body).toBe(200);
    const keys = await fileKeysOf(t.deps.db, task.taskId);
    expect(res.json()).toEqual({
      success: true,
      message: 'Files uploaded to R2 successfully',
      data: { taskId: task.taskId, r2VideoUrl: `/media/${keys!.video}`, r2ThumbnailUrl: `/media/${keys!.thumbnail}` },
    });
    expect(await statusOf(t.deps.db, task.taskId)).toMatchObject({ r2_status: 'completed', result_url: res.json().data.r2VideoUrl, provider_result_url: task.videoUrl });
    // Again: the copies are already there.
    expect((await upload(t, good)).json()).toEqual(res.json());
  });

  it('refuses a task that has not finished', async () => {
    const owner = await t.signUp();
    const taskId = await createTask(t, t2v, owner);
    const res = await upload(t, { taskId, userId: owner.id, videoUrl: 'http://example.com/v.mp4' });
    expect(res.json()).toEqual({ error: 'The task has no finished video to upload yet', code: 'task_not_completed' });
  });

  it('records a failing copy, keeps the task completed with the provider URL, and retries later', async () => {
    const owner = await t.signUp();
    const task = await completedTask(t, owner);
    const capped: Deps = { ...t.deps, config: { ...t.deps.config, ARCHIVE_MAX_BYTES: 100 } };
    const [result] = (await runArchiveOnce(capped)).filter((r) => r.taskId === task.taskId);
    expect(result).toMatchObject({ success: false, error: expect.stringMatching(/limit of 100 bytes/) });
    const row = await statusOf(t.deps.db, task.taskId);
    expect(row).toMatchObject({ status: 'completed', r2_status: 'failed', archive_attempts: 1, result_url: task.videoUrl, archive_error: expect.stringMatching(/100 bytes/) });
    const keys = await fileKeysOf(t.deps.db, task.taskId);
    expect(await t.deps.storage.exists(keys!.video)).toBe(false);
    // Not due again at once; after the backoff the normal limit lets it through, into the keys claimed the first time.
    expect((await runArchiveOnce(t.deps)).filter((r) => r.taskId === task.taskId)).toEqual([]);
    t.clock.advance(3600_000);
    expect((await runArchiveOnce(t.deps)).filter((r) => r.taskId === task.taskId)).toMatchObject([
      { success: true, r2VideoUrl: `/media/${keys!.video}`, r2ThumbnailUrl: `/media/${keys!.thumbnail}` },
    ]);
    expect(await fileKeysOf(t.deps.db, task.taskId)).toEqual(keys);
  });
});

describe('SSRF: with private hosts forbidden (production default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ARCHIVE_ALLOW_PRIVATE_HOSTS: 'false' } });
  });
  afterAll(async () => t?.close());

  it.each([
    'http://10.0.0.1/video.mp4',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:8080/video.mp4',
    'http://[::ffff:127.0.0.1]/video.mp4',
    'http://localhost/video.mp4',
    'file:///etc/passwd',
    'ftp://example.com/video.mp4',
  ])('refuses a provider URL pointing at %s, and never retries it', async (url) => {
    const owner = await t.signUp();
    const task = await completedTask(t, owner);
    await asService(t.deps.db, (tx) => tx.query('update video_generation_task_statuses set provider_result_url = $1 where task_id = $2', [url, task.taskId]));
    const res = await upload(t, { taskId: task.taskId, userId: owner.id, videoUrl: url });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('download_refused');
    expect(await statusOf(t.deps.db, task.taskId)).toMatchObject({ status: 'completed', r2_status: 'failed' });
    const { rows } = await t.deps.db.query<{ at: Date | null }>('select archive_next_attempt_at as at from video_generation_task_statuses where task_id = $1', [task.taskId]);
    expect(rows[0]!.at).toBeNull();
  });
});

describe('safeGet redirects', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
      if (req.url === '/to-private') res.writeHead(302, { location: 'http://10.0.0.1/secret' }).end();
      else if (req.url === '/to-metadata') res.writeHead(307, { location: 'http://169.254.169.254/latest/' }).end();
      else if (req.url === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (hop) res.writeHead(302, { location: `/hop/${Number(hop[1]) + 1}` }).end();
      else if (req.url === '/to-ok') res.writeHead(301, { location: '/ok' }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('fine');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  // This server is on loopback: the policy admits exactly it, and applies the production rules to everything else.
  const policy = (address: string) => address === '127.0.0.1' || publicOnly(address);
  const get = (path: string) => safeGet(`${base}${path}`, { policy, timeoutMs: 5_000 });

  it('follows a redirect to an allowed address', async () => {
    const res = await get('/to-ok');
    expect(res.body.statusCode).toBe(200);
    res.body.resume();
  });

  it.each(['/to-private', '/to-metadata', '/to-file'])('refuses %s', async (path) => {
    await expect(get(path)).rejects.toMatchObject({ name: 'DownloadError', kind: 'refused' });
  });

  it('gives up after three redirects', async () => {
    await expect(get('/hop/0')).rejects.toMatchObject({ kind: 'refused', message: expect.stringMatching(/More than 3 redirects/) });
  });

  it('checks host names at lookup time', async () => {
    await expect(safeGet(`${base.replace('127.0.0.1', 'localhost')}/ok`, { policy: publicOnly, timeoutMs: 5_000 })).rejects.toMatchObject({ kind: 'refused' });
  });
});

describe('archive with the s3 driver against a real S3-compatible server', () => {
  let t: TestApp;
  let s3: RunningS3rver;
  beforeAll(async () => {
    t = await createTestApp();
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('streams video and thumbnail into the bucket and points result_url at the public copy', async () => {
    const storage = createS3Storage({ ...s3, publicUrl: 'https://cdn.example.com/media', forcePathStyle: true });
    const deps: Deps = { ...t.deps, storage };
    const owner = await t.signUp();
    const kling = await createTask(t, findProduct('kling-t2v-5s')!, owner);
    const ai302 = await completedTask(t, owner);
    await runSyncOnce(t.deps);
    const results = await runArchiveOnce(deps);
    expect(results).toHaveLength(2);
    for (const taskId of [kling, ai302.taskId]) {
      const row = await statusOf(t.deps.db, taskId);
      const keys = (await fileKeysOf(t.deps.db, taskId))!;
      // 128 random bits in hex, nothing else: no owner, no task id.
      expect(keys.video).toMatch(/^videos\/[0-9a-f]{32}\.mp4$/);
      expect(row).toMatchObject({ r2_status: 'completed', result_url: `https://cdn.example.com/media/${keys.video}` });
      expect(row.thumbnail_url).toBe(`https://cdn.example.com/media/${keys.thumbnail}`);
      const video = await storage.get(keys.video);
      const head: Buffer[] = [];
      for await (const chunk of video.body) head.push(chunk as Buffer);
      expect(Buffer.concat(head).subarray(4, 8).toString('latin1')).toBe('ftyp');
      const thumb = await storage.get(keys.thumbnail);
      const bytes: Buffer[] = [];
      for await (const chunk of thumb.body) bytes.push(chunk as Buffer);
      expect([...Buffer.concat(bytes).subarray(0, 2)]).toEqual([0xff, 0xd8]);
    }
  });
});
