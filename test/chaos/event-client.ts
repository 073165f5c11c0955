/**
 * An event-stream client as a browser's EventSource behaves: it reads `event: task` messages, remembers the last
 * `id`, and whenever the stream ends or fails it connects again (wherever `baseUrl()` then points) with
 * `Last-Event-ID`. It keeps the latest state seen of each task.
 */
export interface EventClient {
  /** Task id → the status (and result_url) of the latest event seen for it. */
  readonly seen: Map<number, { status: string; result_url: string | null }>;
  /** Streams that ended or failed, each followed by a reconnection. */
  interruptions(): number;
  /** Connections that sent Last-Event-ID. */
  resumes(): number;
  stop(): Promise<void>;
}

const RECONNECT_MS = 100;

export function followEvents(baseUrl: () => string, token: string): EventClient {
  const seen = new Map<number, { status: string; result_url: string | null }>();
  const abort = new AbortController();
  let lastId: string | undefined;
  let interruptions = 0;
  let resumes = 0;

  const handle = (block: string) => {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) lastId = line.slice(3).trim();
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (event !== 'task' || !data) return;
    const task = JSON.parse(data) as { id: number; status: string; result_url: string | null };
    seen.set(task.id, { status: task.status, result_url: task.result_url });
  };

  const readOnce = async () => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (lastId) {
      headers['last-event-id'] = lastId;
      resumes += 1;
    }
    const res = await fetch(`${baseUrl()}/api/user/events`, { headers, signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        handle(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      await readOnce().catch(() => undefined);
      if (abort.signal.aborted) return;
      interruptions += 1;
      await new Promise((r) => setTimeout(r, RECONNECT_MS));
    }
  })();

  return {
    seen,
    interruptions: () => interruptions,
    resumes: () => resumes,
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
