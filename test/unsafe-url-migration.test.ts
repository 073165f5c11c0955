import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { findProduct } from '../src/domain/catalog.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTask } from './helpers/lifecycle.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

it('migration 0013 clears result URLs that were never videos, and nothing else', async () => {
  const user = await t.signUp();
  const product = findProduct('ai302-t2v-5s')!;
  const rows: Array<[string, string, string]> = [
    ['javascript:alert(document.cookie)', 'data:image/svg+xml,<svg onload=alert(1)>', 'javascript:alert(1)'],
    ['https://cdn.example.com/v.mp4', 'https://cdn.example.com/t.jpg', 'https://cdn.example.com/v.mp4'],
    ['/media/videos/0123456789abcdef0123456789abcdef.mp4', '/media/videos/0123456789abcdef0123456789abcdef.jpg', 'https://cdn.example.com/w.mp4'],
  ];
  const ids: number[] = [];
  for (const [result, thumbnail, provider] of rows) {
    const id = await createTask(t, product, user);
    ids.push(id);
    await t.deps.db.query(
      `update video_generation_task_statuses set status = 'completed', finished_at = now(), result_url = $2, thumbnail_url = $3,
              provider_result_url = $4, provider_thumbnail_url = $4 where task_id = $1`,
      [id, result, thumbnail, provider],
    );
  }
  await t.deps.db.query(`delete from schema_migrations where name = '0013_unsafe_result_urls.sql'`);
  expect(await migrate(t.deps.db)).toEqual(['0013_unsafe_result_urls.sql']);

  const { rows: after } = await t.deps.db.query<{ task_id: number; result_url: string | null; thumbnail_url: string | null; provider_result_url: string | null }>(
    `select task_id, result_url, thumbnail_url, provider_result_url from video_generation_task_statuses where task_id = any($1::bigint[]) order by task_id`,
    [ids],
  );
  expect(after.map((r) => [r.result_url, r.thumbnail_url, r.provider_result_url])).toEqual([
    [null, null, null],
    [rows[1]![0], rows[1]![1], rows[1]![2]],
    [rows[2]![0], rows[2]![1], rows[2]![2]],
  ]);
  const feed = (await t.app.inject({ method: 'GET', url: '/api/videos/latest' })).json<Array<{ id: string }>>().map((v) => Number(v.id));
  expect(feed).not.toContain(ids[0]);
  expect(feed).toEqual(expect.arrayContaining([ids[1], ids[2]]));
});
