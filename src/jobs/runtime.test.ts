import { describe, expect, it, vi } from 'vitest';
import { createJobRuntime } from './runtime.js';

describe('completion notices', () => {
  it('reach every listener until it stops listening, and nobody when none listens', () => {
    const runtime = createJobRuntime(1);
    runtime.notifyCompleted(1);
    const first = vi.fn();
    const second = vi.fn();
    const stopFirst = runtime.onCompleted(first);
    const stopSecond = runtime.onCompleted(second);
    runtime.notifyCompleted(2);
    stopFirst();
    runtime.notifyCompleted(3);
    stopSecond();
    runtime.notifyCompleted(4);
    expect(first.mock.calls).toEqual([[2]]);
    expect(second.mock.calls).toEqual([[2], [3]]);
  });

  it('treat one function listening twice as two listeners, each stopped on its own', () => {
    const runtime = createJobRuntime(1);
    const listener = vi.fn();
    const stop = runtime.onCompleted(listener);
    runtime.onCompleted(listener);
    stop();
    runtime.notifyCompleted(5);
    expect(listener.mock.calls).toEqual([[5]]);
  });
});
