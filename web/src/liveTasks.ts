import { useEffect, useRef } from 'preact/hooks';
import { api, normalizeCreation, type Creation } from './api';

const POLL_MS = 5000;

export function isUnfinished(c: Creation): boolean {
  return c.status === 'pending' || c.status === 'processing';
}

/**
 * Pushes task updates to `onUpdate`: from the server-sent event stream while it works,
 * and by polling unfinished tasks every 5 s once it fails.
 */
export function useLiveTasks(getUnfinished: () => Creation[], onUpdate: (c: Creation) => void): void {
  const latest = useRef({ getUnfinished, onUpdate });
  latest.current = { getUnfinished, onUpdate };

  useEffect(() => {
    let timer: number | undefined;
    let stopped = false;

    const poll = async () => {
      const open = latest.current.getUnfinished();
      await Promise.all(
        open.map((c) =>
          api
            .task(c.id)
            .then((u) => !stopped && latest.current.onUpdate(u))
            .catch(() => undefined),
        ),
      );
      if (!stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };

    const startPolling = () => {
      if (timer === undefined && !stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };

    let source: EventSource | null = null;
    if (typeof EventSource === 'function') {
      source = new EventSource('/api/user/events', { withCredentials: true });
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
