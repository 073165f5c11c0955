import { AppError, errors } from '../errors.js';
import { sqlState } from './queries/values.js';

/** Node's socket errors on the way to, or on, a connection to PostgreSQL. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What node-postgres throws, without any code, when a connection ends, cannot be had in time, or takes too long to open. */
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|timeout expired)/;

/**
 * Whether the connection, not the statement, failed: the server is gone, shutting down, starting up or full, or the
 * socket broke. A statement that was sent has then an unknown fate (its commit may have happened), so it must not
 * be sent again blindly; the caller answers 503 and a client retries (with its Idempotency-Key where it matters).
 */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) {
    // 08: connection exception; 57P01–57P03: admin or crash shutdown, cannot connect now; 53300: too many connections.
    return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03' || state === '53300';
  }
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && SOCKET_CODES.has(code)) || PG_MESSAGES.test(error.message);
}

/** Rethrows a connection failure as the API's 503 database_unavailable (the cause kept for the log), anything else as it is. */
export function translateConnectionFailure(error: unknown): never {
  throw isConnectionFailure(error) ? errors.databaseUnavailable(error) : error;
}

/** Whether a statement failed as translateConnectionFailure reports it: its fate unknown, its commit possible. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof AppError && error.code === 'database_unavailable';
}
