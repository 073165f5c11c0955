import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { adoptOriginalRows } from './queries/adoption.js';

/**
 * Brings a database to what this version needs: the migrations not yet applied, then whatever the original system
 * wrote that is not ours yet (nothing, on a database only SimpleVideo wrote). Run at every start and by
 * `npm run admin -- migrate`.
 */
export async function prepareDatabase(db: Db): Promise<{ applied: string[]; adopted: { tasks: number; users: number } }> {
  const applied = await migrate(db);
  return { applied, adopted: await adoptOriginalRows(db) };
}
