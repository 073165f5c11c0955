import { useEffect, useRef } from 'preact/hooks';
import { api, normalizeCreation, type Creation } from './api';

const POLL_MS = 5000;

export function isUnfinished(c: Creation): boolean {
  return c.status === 'pending' || c.status === 'processing';
}

/** Reads `tasks` again and pushes what each is now to `onUpdate` (a task that cannot be read is left as it is). */
export function readAgain(tasks: Creation[], onUpdate: (c: Creation) => void): Promise<void> {
  return Promise.all(
    tasks.map((c) =>
      api
        .task(c.id)
        .then(onUpdate)
        .catch(() => undefined),
    ),
  ).then(() => undefined);
}

/**
 * Pushes task updates to `onUpdate`: from the server-sent event stream while it works,
 * and by polling unfinished tasks every 5 s once it fails. When the stream opens, the
 * unfinished tasks are read once: a change made between the page's list and the stream's
 * start is announced to no stream (the page reads a list's unfinished tasks again once
 * it has it, for a stream that opened first).
 */
export function useLiveTasks(getUnfinished: () => Creation[], onUpdate: (c: Creation) => void): void {
  const latest = useRef({ getUnfinished, onUpdate });
  latest.current = { getUnfinished, onUpdate };

  useEffect(() => {
    let timer: number | undefined;
    let stopped = false;

    const refresh = () => readAgain(latest.current.getUnfinished(), (u) => !stopped && latest.current.onUpdate(u));
    const poll = async () => {
      await refresh();
      if (!stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };

    const startPolling = () => {
      if (timer === undefined && !stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };

    let source: EventSource | null = null;
    if (typeof EventSource === 'function') {
      source = new EventSource('/api/user/events', { withCredentials: true });
      source.onopen = () => void refresh();
      source.addEventListener('task', (e) => {
        try {
          latest.current.onUpdate(normalizeCreation(JSON.parse((e as MessageEvent<string>).data) as Creation));
        } catch {
          // Ignore malformed events.
        }
      });
      source.onerror = () => {
        source?.close();
        source = null;
        startPolling();
      };
    } else {
      startPolling();
    }

    return () => {
      stopped = true;
      source?.close();
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, []);
}
