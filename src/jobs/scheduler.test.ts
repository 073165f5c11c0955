import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { drain, startLoop } from './scheduler.js';

describe('startLoop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const logger = pino({ level: 'silent' });

  it('skips ticks while the previous run is still going, and stop() waits for it', async () => {
    let release: () => void = () => undefined;
    const run = vi.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const loop = startLoop('test', 1_000, run, logger);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(run).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(run).toHaveBeenCalledTimes(2);

    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('runs nothing when the interval is 0', async () => {
    const run = vi.fn().mockResolvedValue(undefined);
    const loop = startLoop('test', 0, run, logger);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(run).not.toHaveBeenCalled();
    await loop.stop();
  });

  it('keeps going after a failed run', async () => {
    const run = vi.fn().mockRejectedValueOnce(new Error('boom')).mockResolvedValue(undefined);
    const loop = startLoop('test', 1_000, run, logger);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(3);
    await loop.stop();
  });
});

describe('drain', () => {
  it('passes again while a pass finds a full batch, and stops at the first short one', async () => {
    const sizes = [3, 3, 1, 3];
    const run = vi.fn(async () => new Array(sizes.shift() ?? 0).fill(0));
    await drain(run, 3);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('stops after a bounded number of full passes', async () => {
    const run = vi.fn(async () => [1, 2]);
    await drain(run, 2);
    expect(run).toHaveBeenCalledTimes(50);
  });
});
