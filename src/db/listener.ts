import pg from 'pg';

export interface ListenerOptions {
  /** Told of every lost connection and failed reconnect; the listener keeps trying. */
  onError?: (error: unknown) => void;
  /** Told once listening again after a lost connection: whatever was notified meanwhile did not arrive. */
  onResumed?: () => void;
  /** First wait before reconnecting; doubles after each failure up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * LISTEN on one dedicated connection of its own, outside any pool (a transaction pooler would drop LISTEN between
 * transactions). When the connection drops it reconnects with exponential backoff, for as long as it is not
 * stopped; the first connection must succeed, so a wrong URL fails the caller at once. Notifications sent while
 * disconnected are lost, as PostgreSQL keeps none for an absent listener: onResumed says when that may have happened.
 */
export async function listenWithReconnect(
  connectionString: string,
  channel: string,
  onMessage: (payload: string) => void,
  options: ListenerOptions = {},
): Promise<() => Promise<void>> {
  const { onError = () => undefined, onResumed = () => undefined, minDelayMs = 100, maxDelayMs = 10_000 } = options;
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = minDelayMs;
  /** Whether a connection has listened before: the next one resumes after a gap. */
  let listenedBefore = false;

  async function connect(): Promise<void> {
    // keepAlive: an idle connection that a NAT or proxy silently dropped is noticed, and replaced.
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000, keepAlive: true });
    // Without an 'error' handler a dropped connection would crash the process.
    next.on('error', (error) => onError(error));
    next.on('end', () => {
      if (client === next) reconnectLater();
    });
    next.on('notification', (msg) => {
      if (msg.channel === channel) onMessage(msg.payload ?? '');
    });
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    delay = minDelayMs;
    if (listenedBefore) onResumed();
    listenedBefore = true;
  }

  function reconnectLater(): void {
    client = undefined;
    if (stopped) return;
    retry = setTimeout(() => {
      connect().catch((error: unknown) => {
        onError(error);
        delay = Math.min(delay * 2, maxDelayMs);
        reconnectLater();
      });
    }, delay);
    retry.unref();
  }

  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const last = client;
    client = undefined;
    await last?.end().catch(() => undefined);
  };
}
