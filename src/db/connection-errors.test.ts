import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createStatementCoalescer, type SharedStatement } from './coalescer.js';
import { isConnectionFailure, translateConnectionFailure } from './connection-errors.js';

/** An error as the server sends it: pg and PGlite both give `severity` and a five-character `code`. */
function serverError(code: string): Error {
  return Object.assign(new Error(`server said ${code}`), { severity: 'ERROR', code });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`socket ${code}`), { code });
}

describe('isConnectionFailure', () => {
  it.each([
    ['admin shutdown (fast stop)', serverError('57P01'), true],
    ['crash shutdown', serverError('57P02'), true],
    ['starting up or shutting down', serverError('57P03'), true],
    ['connection exception', serverError('08006'), true],
    ['too many connections', serverError('53300'), true],
    ['refused', socketError('ECONNREFUSED'), true],
    ['reset', socketError('ECONNRESET'), true],
    ['connection ended (immediate stop)', new Error('Connection terminated unexpectedly'), true],
    ['no connection in time', new Error('timeout exceeded when trying to connect'), true],
    ['a connection attempt that took too long', new Error('timeout expired'), true],
    ['deadlock', serverError('40P01'), false],
    ['unique violation', serverError('23505'), false],
    ['insufficient credits (ours)', serverError('SV402'), false],
    ['a file error', socketError('ENOENT'), false],
    ['anything else', new Error('boom'), false],
  ])('%s: %s', (_name, error, expected) => {
    expect(isConnectionFailure(error)).toBe(expected);
  });

  it('becomes 503 database_unavailable, keeping its cause; other errors pass as they are', () => {
    const cause = serverError('57P01');
    expect(() => translateConnectionFailure(cause)).toThrow(expect.objectContaining({ status: 503, code: 'database_unavailable', cause }));
    const other = serverError('23505');
    expect(() => translateConnectionFailure(other)).toThrow(other);
    expect(() => translateConnectionFailure(other)).not.toThrow(AppError);
  });
});

describe('coalescer on a broken connection', () => {
  const item = (n: number): SharedStatement => ({ group: 'write:', settings: undefined, statement: `select ${n}`, readOnly: false });

  it('does not send again a message whose fate is unknown: all its statements fail', async () => {
    const sent: string[] = [];
    const share = createStatementCoalescer(async (text) => {
      sent.push(text);
      throw serverError('57P01');
    });
    const results = await Promise.allSettled([share(item(1)), share(item(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(sent).toEqual(['select 1; select 2']);
  });

  it('sends each statement alone again after a statement error rolled the message back', async () => {
    const sent: string[] = [];
    const share = createStatementCoalescer(async (text) => {
      sent.push(text);
      if (text.includes(';') || text === 'select 2') throw serverError('23505');
      return { rows: [{ n: 1 }], rowCount: 1 } as never;
    });
    const results = await Promise.allSettled([share(item(1)), share(item(2))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(sent).toEqual(['select 1; select 2', 'select 1', 'select 2']);
  });
});
