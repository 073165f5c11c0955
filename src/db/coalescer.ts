import type pg from 'pg';
import type { QueryResult } from './db.js';
import { isConnectionFailure } from './connection-errors.js';
import { isLockConflict, sqlState } from './queries/values.js';

/**
 * One statement to share a message: its group (statements share a message only within a group), its settings
 * statement (if any), the statement with its parameters inlined, and whether it only reads.
 */
export interface SharedStatement {
  group: string;
  settings: string | undefined;
  statement: string;
  readOnly: boolean;
}

type Sender = (text: string) => Promise<pg.QueryResult | pg.QueryResult[]>;

/** Enough to share a round trip under load, small enough that one slow statement holds back few others. */
const MAX_STATEMENTS_PER_MESSAGE = 32;

interface Waiting {
  item: SharedStatement;
  resolve: (result: QueryResult<unknown>) => void;
  reject: (error: unknown) => void;
}

function textOf(items: readonly SharedStatement[]): string {
  const parts = items.flatMap((s) => (s.settings ? [s.settings, s.statement] : [s.statement]));
  return (items[0]!.readOnly ? ['set transaction read only', ...parts] : parts).join('; ');
}

function asResult(result: pg.QueryResult): QueryResult<unknown> {
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

/** How often a statement rolled back by a lock conflict is sent alone before its caller sees the error. */
const LOCK_CONFLICT_ATTEMPTS = 3;

/**
 * Statements issued in the same turn of the event loop travel to PostgreSQL as one simple-protocol message: one
 * write and one round trip for many requests instead of one each, which is most of a small statement's cost.
 * The message is one implicit transaction; each statement's own transaction-local settings (role, JWT claims)
 * come right before it and replace the previous one's, so RLS sees each statement's own caller. Statements share a
 * message only within their group (same setting names, same read-only-ness), so none inherits a value it did not set.
 * If a statement fails, PostgreSQL rolls the whole message back: each statement is then sent again on its own, so
 * only the failing one fails and every other takes effect once. A message whose fate is unknown (the connection
 * broke) is not sent again: all its statements fail.
 */
export function createStatementCoalescer(send: Sender): (item: SharedStatement) => Promise<QueryResult<unknown>> {
  const waiting = new Map<string, Waiting[]>();
  let scheduled = false;

  async function sendAlone(entry: Waiting): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await send(textOf([entry.item]));
        const list = Array.isArray(results) ? results : [results];
        entry.resolve(asResult(list[list.length - 1]!));
        return;
      } catch (error) {
        // Statements of several requests share messages, each message one transaction, so two messages can lock the
        // same rows in opposite orders: PostgreSQL then rolls one back whole, and this statement alone is sent again.
        if (attempt < LOCK_CONFLICT_ATTEMPTS && isLockConflict(error)) continue;
        entry.reject(error);
        return;
      }
    }
  }

  async function sendTogether(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return sendAlone(batch[0]!);
    let results: pg.QueryResult[];
    try {
      results = (await send(textOf(batch.map((w) => w.item)))) as pg.QueryResult[];
    } catch (error) {
      // A statement's error rolled the message back: each is sent alone. A broken connection leaves the message's
      // fate unknown (its commit may have happened): sending it again could apply it twice.
      if (sqlState(error) !== undefined && !isConnectionFailure(error)) await Promise.all(batch.map(sendAlone));
      else for (const entry of batch) entry.reject(error);
      return;
    }
    let index = batch[0]!.item.readOnly ? 1 : 0; // after `set transaction read only`
    const expected = index + batch.reduce((n, w) => n + (w.item.settings ? 2 : 1), 0);
    if (results.length !== expected) {
      const error = new Error(`a shared message answered ${results.length} results for ${expected} statements: each must be one statement`);
      for (const entry of batch) entry.reject(error);
      return;
    }
    for (const entry of batch) {
      index += entry.item.settings ? 2 : 1;
      entry.resolve(asResult(results[index - 1]!));
    }
  }

  function flush(): void {
    scheduled = false;
    const groups = [...waiting.values()];
    waiting.clear();
    for (const group of groups) {
      for (let i = 0; i < group.length; i += MAX_STATEMENTS_PER_MESSAGE) void sendTogether(group.slice(i, i + MAX_STATEMENTS_PER_MESSAGE));
    }
  }

  return (item) =>
    new Promise((resolve, reject) => {
      const group = waiting.get(item.group);
      if (group) group.push({ item, resolve, reject });
      else waiting.set(item.group, [{ item, resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
