import type pg from 'pg';
import type { QueryResult } from './db.js';

/** One read: the names its settings set, its settings statement (if any), and the statement, parameters inlined. */
export interface ScopedRead {
  settingNames: string;
  settings: string | undefined;
  statement: string;
}

type Sender = (text: string) => Promise<pg.QueryResult | pg.QueryResult[]>;

/** Enough to share a round trip under load, small enough that one slow read holds back few others. */
const MAX_READS_PER_MESSAGE = 32;

const READ_ONLY = 'set transaction read only';

interface Waiting {
  read: ScopedRead;
  resolve: (result: QueryResult<unknown>) => void;
  reject: (error: unknown) => void;
}

function textOf(reads: readonly ScopedRead[]): string {
  return [READ_ONLY, ...reads.flatMap((r) => (r.settings ? [r.settings, r.statement] : [r.statement]))].join('; ');
}

function asResult(result: pg.QueryResult): QueryResult<unknown> {
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

/**
 * Read-only statements issued in the same turn of the event loop travel to PostgreSQL as one simple-protocol
 * message: one write and one round trip for many requests instead of one each, which is most of a small read's
 * cost. The message is one read-only implicit transaction; each read's own transaction-local settings (role and
 * JWT claims) come right before it and replace the previous read's, so RLS sees each read's own caller. Only reads
 * that set the same setting names share a message, so none can inherit a value the previous one set.
 * If any statement fails, PostgreSQL abandons the whole message: each read is then sent again on its own, so only
 * the failing one fails.
 */
export function createReadCoalescer(send: Sender): (read: ScopedRead) => Promise<QueryResult<unknown>> {
  const waiting = new Map<string, Waiting[]>();
  let scheduled = false;

  async function sendAlone(entry: Waiting): Promise<void> {
    try {
      const results = await send(textOf([entry.read]));
      const list = Array.isArray(results) ? results : [results];
      entry.resolve(asResult(list[list.length - 1]!));
    } catch (error) {
      entry.reject(error);
    }
  }

  async function sendTogether(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return sendAlone(batch[0]!);
    let results: pg.QueryResult[];
    try {
      results = (await send(textOf(batch.map((w) => w.read)))) as pg.QueryResult[];
    } catch {
      await Promise.all(batch.map(sendAlone));
      return;
    }
    const expected = 1 + batch.reduce((n, w) => n + (w.read.settings ? 2 : 1), 0);
    if (results.length !== expected) {
      const error = new Error(`a coalesced message answered ${results.length} results for ${expected} statements: a read must be one statement`);
      for (const entry of batch) entry.reject(error);
      return;
    }
    let index = 1; // after `set transaction read only`
    for (const entry of batch) {
      index += entry.read.settings ? 2 : 1;
      entry.resolve(asResult(results[index - 1]!));
    }
  }

  function flush(): void {
    scheduled = false;
    const groups = [...waiting.values()];
    waiting.clear();
    for (const group of groups) {
      for (let i = 0; i < group.length; i += MAX_READS_PER_MESSAGE) void sendTogether(group.slice(i, i + MAX_READS_PER_MESSAGE));
    }
  }

  return (read) =>
    new Promise((resolve, reject) => {
      const group = waiting.get(read.settingNames);
      if (group) group.push({ read, resolve, reject });
      else waiting.set(read.settingNames, [{ read, resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
