import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate.js';
import { createTestDb, type TestDb } from './helpers/db.js';

const MIGRATION = '0016_client_task_ids_and_end_frames.sql';
let t: TestDb;
let before: string;

beforeAll(async () => {
  t = await createTestDb({ migrated: false });
  // The migrations before 0016 only, as a database made by an earlier version has them.
  before = await mkdtemp(path.join(tmpdir(), 'sv-migrations-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (name < MIGRATION) await copyFile(path.join(MIGRATIONS_DIR, name), path.join(before, name));
  }
  await migrate(t.db, before);
});
afterAll(async () => {
  await t?.drop();
  if (before) await rm(before, { recursive: true, force: true });
});

async function insertTask(db: Db): Promise<number> {
  const { rows } = await db.query<{ id: number | string }>(
    `insert into video_generation_task_definitions (task_type, model, credits, product_id) values ('video', 'kling', 1, 'kling-t2v-5s') returning id`,
  );
  const taskId = Number(rows[0]!.id);
  await db.query(`insert into video_generation_task_statuses (task_id, status, provider) values ($1, 'pending', 'kling')`, [taskId]);
  return taskId;
}

async function clientIdOf(db: Db, taskId: number): Promise<string> {
  const { rows } = await db.query<{ client_task_id: string }>('select client_task_id from video_generation_task_statuses where task_id = $1', [taskId]);
  return rows[0]!.client_task_id;
}

it('migration 0016 keeps sv-<task id> for the tasks it finds, and gives later tasks a random id', async () => {
  const old = [await insertTask(t.db), await insertTask(t.db)];
  expect(await migrate(t.db)).toContain(MIGRATION);
  // They were sent to Kling as sv-<task id>: a lost reply among them is looked up by that.
  for (const taskId of old) expect(await clientIdOf(t.db, taskId)).toBe(`sv-${taskId}`);

  // Written around create_charged_task (by hand, by the original system): still an id of its own.
  const later = await clientIdOf(t.db, await insertTask(t.db));
  expect(later).toMatch(/^sv-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const again = await insertTask(t.db);
  await expect(t.db.query('update video_generation_task_statuses set client_task_id = $1 where task_id = $2', [later, again])).rejects.toMatchObject({ code: '23505' });
});
