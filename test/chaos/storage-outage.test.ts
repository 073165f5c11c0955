import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asService } from '../../src/db/scope.js';
import type { Deps } from '../../src/deps.js';
import { findProduct } from '../../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../../src/jobs/passes.js';
import type { ObjectStorage } from '../../src/storage/object-storage.js';
import { createS3Storage } from '../../src/storage/s3.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTask, fileKeysOf, statusOf } from '../helpers/lifecycle.js';
import { checkBooks } from './invariants.js';
import { waitFor } from './processes.js';
import { report, SCALE } from './scale.js';
import { startS3rver, type RunningS3rver } from '../helpers/s3rver.js';

/**
 * Object storage (s3rver, as R2 or S3 would be) goes away in the middle of an archive pass and comes back later.
 * Tasks must stay completed on the provider's URL meanwhile, copies be retried on their backoff (not before) and
 * complete once it is back, and no object in the bucket ever be less than the whole file. A few tasks have a 12 MiB
 * video, copied as a multipart upload, so the outage also cuts uploads between their parts.
 */
const TASKS = Math.max(10, Math.round(SCALE.faultTasks / 4));
const LARGE_TASKS = 3;
const LONG_OUTAGE_TASKS = 4;
const LARGE_BYTES = 12 * 1024 * 1024;
const ASSETS = path.resolve('src/providers/simulator/assets');

let t: TestApp;
let s3: RunningS3rver;
let storage: ObjectStorage;
let deps: Deps;
let lister: S3Client;
/** The tasks whose video is 12 MiB. */
let large: number[] = [];
beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '1000', ARCHIVE_BATCH_SIZE: '100' } });
  s3 = await startS3rver();
  storage = createS3Storage({ ...s3, publicUrl: `${s3.endpoint}/${s3.bucket}`, forcePathStyle: true, timeoutMs: 2_000 });
  deps = { ...t.deps, storage };
  lister = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
});
afterAll(async () => {
  lister?.destroy();
  await s3?.close();
  await t?.close();
});

it('storage going away mid-archive: tasks stay on the provider URL, copies back off, then complete; no partial object', async () => {
  const user = await t.signUp();
  const ids: number[] = [];
  for (let i = 0; i < TASKS; i++) ids.push(await createTask(t, findProduct(i % 2 ? 'kling-t2v-5s' : 'ai302-t2v-5s')!, user));
  t.clock.advance(6_000);
  await runSyncOnce(t.deps);
  // The provider served these as 12 MiB videos (the simulator's large files: the sample, then zeros).
  large = ids.slice(0, LARGE_TASKS);
  const largeUrl = `${t.simulator.url}/files/large/${LARGE_BYTES}.mp4`;
  await asService(t.deps.db, (tx) =>
    tx.query(`update video_generation_task_statuses set provider_result_url = $1, result_url = $1 where task_id = any($2::bigint[])`, [largeUrl, large]),
  );

  // The store goes away once the pass has stored its first object: the rest of the pass runs into the outage.
  const pass = runArchiveOnce(deps);
  await waitFor(async () => (await objectKeys()).length > 0, 30_000, 'the first archived object');
  await s3.stop();
  const first = await pass;
  const failedIds = first.filter((r) => !r.success).map((r) => r.taskId);
  expect(failedIds.length).toBeGreaterThan(0);

  const during = await Promise.all(failedIds.map((id) => statusOf(t.deps.db, id)));
  const stillOnProvider = during.filter((row) => row.status === 'completed' && row.r2_status === 'failed' && row.result_url === row.provider_result_url).length;
  // Not retried before its backoff: a pass 20 s later leases nothing.
  t.clock.advance(20_000);
  const tooSoon = (await runArchiveOnce(deps)).length;
  // Still down when they come due: each fails again and backs off further.
  t.clock.advance(60_000);
  const again = await runArchiveOnce(deps);
  const attemptsWhileDown = Math.max(...(await Promise.all(failedIds.map((id) => statusOf(t.deps.db, id)))).map((row) => row.archive_attempts));

  await s3.start();
  const partialAfterRestart = await partialObjects();
  let passes = 0;
  for (; passes < 10; passes++) {
    const rows = await Promise.all(ids.map((id) => statusOf(t.deps.db, id)));
    if (rows.every((row) => row.r2_status === 'completed')) break;
    t.clock.advance(3 * 60_000);
    await runArchiveOnce(deps);
  }
  const rows = await Promise.all(ids.map((id) => statusOf(t.deps.db, id)));
  const archived = rows.filter((row) => row.r2_status === 'completed' && row.result_url?.startsWith(`${s3.endpoint}/${s3.bucket}/videos/`)).length;
  const partialAtEnd = await partialObjects();
  const missing = await missingCopies(ids);
  const books = await checkBooks(t.deps.db);

  report('storage-outage', {
    tasks: TASKS, large_tasks: LARGE_TASKS, archived_before_outage: first.length - failedIds.length, copies_failed_in_outage: failedIds.length,
    multipart_copies_cut: failedIds.filter((id) => large.includes(id)).length,
    still_on_provider_url: stillOnProvider, leased_before_backoff: tooSoon, failed_again_while_down: again.filter((r) => !r.success).length,
    max_attempts: attemptsWhileDown, passes_after_return: passes, archived, partial_objects_acknowledged: partialAfterRestart.acknowledged + partialAtEnd.acknowledged,
    unacknowledged_puts_left_by_s3rver: partialAfterRestart.unacknowledged, partial_at_end: partialAtEnd.unacknowledged,
    copies_missing: missing, tasks_lost: TASKS - archived + books.unfinished,
  });
  expect(stillOnProvider).toBe(failedIds.length);
  expect(tooSoon).toBe(0);
  expect(again.every((r) => !r.success)).toBe(true);
  expect(again.length).toBe(failedIds.length);
  expect([partialAfterRestart.acknowledged, partialAtEnd.acknowledged, partialAtEnd.unacknowledged]).toEqual([0, 0, 0]);
  expect(archived).toBe(TASKS);
  expect(missing).toBe(0);
  expect(books).toMatchObject({ unfinished: 0, failed: 0, badRefunds: 0, unexplainedBalances: 0 });
});

it('storage away for two days: copies are never given up while the store is away, and complete when it returns', async () => {
  const user = await t.signUp();
  const ids: number[] = [];
  for (let i = 0; i < LONG_OUTAGE_TASKS; i++) ids.push(await createTask(t, findProduct(i % 2 ? 'kling-t2v-5s' : 'ai302-t2v-5s')!, user));
  t.clock.advance(6_000);
  await runSyncOnce(t.deps);
  await s3.stop();
  let attemptsWhileDown = 0;
  for (let hours = 0; hours < 48; hours += 2) {
    t.clock.advance(2 * 3600_000);
    attemptsWhileDown += (await runArchiveOnce(deps)).length;
  }
  const givenUp = await asService(t.deps.db, async (tx) => {
    const { rows } = await tx.query<{ n: number }>(
      `select count(*)::int as n from video_generation_task_statuses where task_id = any($1::bigint[]) and archive_next_attempt_at is null`,
      [ids],
    );
    return rows[0]!.n;
  });

  await s3.start();
  for (let passes = 0; passes < 4; passes++) {
    // At most the longest backoff (6 h) after the store returns.
    t.clock.advance(2 * 3600_000);
    await runArchiveOnce(deps);
  }
  const rows = await Promise.all(ids.map((id) => statusOf(t.deps.db, id)));
  const archived = rows.filter((row) => row.r2_status === 'completed').length;
  report('storage-outage-long', {
    tasks: LONG_OUTAGE_TASKS, outage_hours: 48, copies_tried_while_down: attemptsWhileDown, given_up: givenUp, archived,
    partial_objects_acknowledged: (await partialObjects()).acknowledged, tasks_lost: LONG_OUTAGE_TASKS - archived,
  });
  expect(givenUp).toBe(0);
  expect(archived).toBe(LONG_OUTAGE_TASKS);
  expect(await partialObjects()).toEqual({ acknowledged: 0, unacknowledged: 0 });
});

async function objectKeys(): Promise<Array<{ key: string; size: number }>> {
  const listed = await lister.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return (listed.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? 0 }));
}

/**
 * Objects in the bucket that are not a whole file (every video the sample or a 12 MiB one, every thumbnail the
 * provider's or a complete JPEG), in two kinds. `acknowledged`: the store answered our upload, yet the object is not
 * whole — our bug. `unacknowledged`: s3rver writes an object in place as its body arrives and adds its metadata (our
 * content type) only at the end, so a PutObject cut by the outage leaves an empty object without it, one it never
 * answered. S3 and R2 never show those (a PutObject is atomic); the retry overwrites them under the same key.
 */
async function partialObjects(): Promise<{ acknowledged: number; unacknowledged: number }> {
  const largeKeys = new Set((await Promise.all(large.map((id) => fileKeysOf(t.deps.db, id)))).map((keys) => keys?.video));
  const [video, thumbnail] = await Promise.all([readFile(path.join(ASSETS, 'sample.mp4')), readFile(path.join(ASSETS, 'thumbnail.jpg'))]);
  const partial = { acknowledged: 0, unacknowledged: 0 };
  for (const { key } of await objectKeys()) {
    const { bytes, contentType } = await objectOf(key);
    const whole = largeKeys.has(key)
      ? bytes.length === LARGE_BYTES && bytes.subarray(0, video.length).equals(video) && bytes.subarray(video.length).every((b) => b === 0)
      : bytes.equals(key.endsWith('.jpg') ? thumbnail : video) || isWholeJpeg(key, bytes);
    if (!whole) partial[contentType === 'video/mp4' || contentType === 'image/jpeg' ? 'acknowledged' : 'unacknowledged'] += 1;
  }
  return partial;
}

/** Tasks whose result_url names an object that is not in the bucket. */
async function missingCopies(ids: number[]): Promise<number> {
  let missing = 0;
  for (const id of ids) {
    const keys = await fileKeysOf(t.deps.db, id);
    if (!keys || !(await storage.exists(keys.video))) missing += 1;
  }
  return missing;
}

/** A thumbnail ffmpeg made from a Kling video: not the provider's bytes, but a complete JPEG. */
function isWholeJpeg(key: string, bytes: Buffer): boolean {
  return key.endsWith('.jpg') && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9;
}

async function objectOf(key: string): Promise<{ bytes: Buffer; contentType: string }> {
  const object = await storage.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return { bytes: Buffer.concat(chunks), contentType: object.contentType };
}
