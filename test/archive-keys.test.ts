import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseArchiveTask } from '../src/db/queries/leases.js';
import { claimTaskFileKeys } from '../src/db/queries/task-file-keys.js';
import { asService } from '../src/db/scope.js';
import { newArchiveKeys } from '../src/domain/archive/archive-deps.js';
import { archiveLeasedTask } from '../src/domain/archive/archive-task.js';
import { findProduct } from '../src/domain/catalog.js';
import { archiveDepsOf, runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { createTask, fileKeysOf, statusOf } from './helpers/lifecycle.js';

/**
 * Public URLs of archived files must not say whose video it is, nor lead to anyone else's: each task's files get
 * 128 random bits as their name, claimed once in task_file_keys and reused by every later copy of that task.
 */
const t2v = findProduct('ai302-t2v-5s')!;
const ARCHIVED_URL = /^\/media\/videos\/([0-9a-f]{32})\.(mp4|jpg)$/;

let t: TestApp;
let owner: TestUser;
beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '100' } });
  owner = await t.signUp();
});
afterAll(() => t?.close());

/** A task the provider has finished, not archived yet. */
async function completedTask(): Promise<number> {
  const taskId = await createTask(t, t2v, owner);
  t.clock.advance(6_000);
  await runSyncOnce(t.deps);
  return taskId;
}

function leaseTask(taskId: number, leaseOwner: string) {
  return asService(t.deps.db, (tx) => leaseArchiveTask(tx, { taskId, owner: leaseOwner, now: t.clock.now(), leaseMs: t.deps.config.LEASE_MS }));
}

/** Deletes the task as its owner does through the REST API, then lets the removal wait pass and runs it. */
async function deleteAndRemoveFiles(taskId: number): Promise<void> {
  await t.deps.db.transaction(async (tx) => {
    await tx.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: owner.id, role: 'authenticated' })]);
    expect((await tx.query('delete from video_generation_task_definitions where id = $1', [taskId])).rowCount).toBe(1);
  });
  await t.deps.db.query(`update deleted_task_files set deleted_at = deleted_at - make_interval(secs => $2) where task_id = $1`, [taskId, t.deps.config.LEASE_MS / 1000 + 1]);
  await runArchiveOnce(t.deps);
}

/** Every file under media/videos is named by a claimed key: no copy left an object nobody can find again. */
async function expectNoOrphans(): Promise<void> {
  const { rows } = await asService(t.deps.db, (tx) => tx.query<{ video_key: string; thumbnail_key: string }>('select video_key, thumbnail_key from task_file_keys'));
  const claimed = new Set(rows.flatMap((r) => [r.video_key, r.thumbnail_key]));
  const files = (await readdir(path.join(t.mediaRoot, 'videos'))).map((name) => `videos/${name}`);
  expect(files.filter((key) => !claimed.has(key))).toEqual([]);
}

describe('archived files get random keys', () => {
  it('whose URLs name neither owner nor task, and tell nothing about another task’s', async () => {
    const [first, second] = [await completedTask(), await completedTask()];
    await runArchiveOnce(t.deps);
    const stems: string[] = [];
    for (const taskId of [first, second]) {
      const row = await statusOf(t.deps.db, taskId);
      const [, stem] = ARCHIVED_URL.exec(row.result_url ?? '') ?? [];
      expect(stem, row.result_url ?? 'no result_url').toBeDefined();
      expect(row.result_url).toBe(`/media/videos/${stem}.mp4`);
      expect(row.thumbnail_url).toBe(`/media/videos/${stem}.jpg`);
      expect(row.result_url).not.toContain(owner.id);
      stems.push(stem!);
    }
    // Consecutive tasks of one owner: about half of the 128 bits differ, as between any two random names.
    const differing = [...(BigInt(`0x${stems[0]}`) ^ BigInt(`0x${stems[1]}`)).toString(2)].filter((bit) => bit === '1').length;
    expect(differing).toBeGreaterThan(32);
    // The public feed shows these URLs, and storage holds nothing under the owner's id.
    const feed = (await t.app.inject({ method: 'GET', url: '/api/videos/latest' })).json<Array<{ videoUrl: string }>>();
    for (const { videoUrl } of feed) expect(videoUrl).toMatch(ARCHIVED_URL);
    expect(existsSync(path.join(t.mediaRoot, 'videos', owner.id))).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: `/media/videos/${stems[0]}.mp4` })).statusCode).toBe(200);
  });

  it('claimed once per task, however many instances claim at the same moment', async () => {
    const taskId = await completedTask();
    const claims = await Promise.all(
      Array.from({ length: 6 }, () => asService(t.deps.db, (tx) => claimTaskFileKeys(tx, { taskId, candidate: newArchiveKeys() }))),
    );
    expect(claims[0]).toBeDefined();
    expect(new Set(claims.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(await fileKeysOf(t.deps.db, taskId)).toEqual(claims[0]);
    const [result] = (await runArchiveOnce(t.deps)).filter((r) => r.taskId === taskId);
    expect(result).toMatchObject({ success: true, r2VideoUrl: `/media/${claims[0]!.video}` });
  });

  it('reused by an instance whose lease was taken over: both copies wrote the same objects', async () => {
    const taskId = await completedTask();
    const slow = await leaseTask(taskId, 'slow-instance');
    t.clock.advance(t.deps.config.LEASE_MS + 1);
    const [taken] = (await runArchiveOnce(t.deps)).filter((r) => r.taskId === taskId);
    expect(taken).toMatchObject({ success: true });
    const late = await archiveLeasedTask(archiveDepsOf(t.deps), slow!, 'slow-instance');
    expect(late).toMatchObject({ success: false, error: expect.stringMatching(/taken over/) });
    expect(taken!.r2VideoUrl).toBe(`/media/${(await fileKeysOf(t.deps.db, taskId))!.video}`);
    await expectNoOrphans();
  });

  it('never claimed for a task deleted before its copy began: nothing is stored', async () => {
    const taskId = await completedTask();
    const lease = await leaseTask(taskId, 'racing-a-delete');
    await asService(t.deps.db, (tx) => tx.query('delete from video_generation_task_definitions where id = $1', [taskId]));
    expect(await archiveLeasedTask(archiveDepsOf(t.deps), lease!, 'racing-a-delete')).toEqual({ taskId, success: false, error: 'The task was deleted' });
    expect(await fileKeysOf(t.deps.db, taskId)).toBeUndefined();
    await expectNoOrphans();
  });
});

describe('files stored under the contract’s layout, before random keys', () => {
  const legacyKeys = (taskId: number) => [`videos/${owner.id}/${taskId}-video.mp4`, `videos/${owner.id}/${taskId}-thumbnail.jpg`];
  const store = (key: string) => t.deps.storage.put(key, Buffer.from('archived earlier'), { contentType: 'application/octet-stream' });

  it('stay where their URLs point, and go when their task is deleted', async () => {
    const taskId = await completedTask();
    const [video, thumbnail] = legacyKeys(taskId);
    await Promise.all([store(video!), store(thumbnail!)]);
    await asService(t.deps.db, (tx) =>
      tx.query(`update video_generation_task_statuses set r2_status = 'completed', result_url = $2, thumbnail_url = $3 where task_id = $1`, [
        taskId, t.deps.storage.publicUrl(video!), t.deps.storage.publicUrl(thumbnail!),
      ]),
    );
    t.clock.advance(3600_000);
    expect((await runArchiveOnce(t.deps)).filter((r) => r.taskId === taskId)).toEqual([]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ result_url: `/media/${video}`, thumbnail_url: `/media/${thumbnail}` });
    expect((await t.app.inject({ method: 'GET', url: `/media/${video}` })).statusCode).toBe(200);

    await deleteAndRemoveFiles(taskId);
    for (const key of [video!, thumbnail!]) expect(await t.deps.storage.exists(key)).toBe(false);
  });

  it('left by a copy that failed half-way go too, with the random-key copy made later', async () => {
    const taskId = await completedTask();
    const [halfWritten] = legacyKeys(taskId);
    await store(halfWritten!);
    await runArchiveOnce(t.deps);
    const keys = (await fileKeysOf(t.deps.db, taskId))!;
    expect(await t.deps.storage.exists(keys.video)).toBe(true);

    await deleteAndRemoveFiles(taskId);
    for (const key of [halfWritten!, keys.video, keys.thumbnail]) expect(await t.deps.storage.exists(key)).toBe(false);
    expect(await fileKeysOf(t.deps.db, taskId)).toBeUndefined();
  });
});
