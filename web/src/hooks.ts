import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** The current time, refreshed every second while `active`. */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [active]);
  return now;
}

/**
 * The address a <video> plays. A task's result_url changes once, when the archived copy replaces the provider's
 * URL; taking the new one while the video plays would reload it and lose the viewer's place, so it is taken at the
 * next pause (or end) instead.
 */
export function useSteadySrc(ref: RefObject<HTMLVideoElement>, src: string): string {
  const [shown, setShown] = useState(src);
  useEffect(() => {
    const video = ref.current;
    if (src === shown) return;
    if (!video || video.paused) {
      setShown(src);
      return;
    }
    const swap = () => setShown(src);
    video.addEventListener('pause', swap, { once: true });
    return () => video.removeEventListener('pause', swap);
  }, [ref, src, shown]);
  return shown;
}
