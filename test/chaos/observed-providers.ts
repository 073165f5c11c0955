import type { Deps } from '../../src/deps.js';
import type { ProviderName, VideoProvider } from '../../src/providers/video-provider.js';

/** Calls made through the observed adapters: how many, and the most in flight at once per provider. */
export interface ProviderCalls {
  total(): number;
  peak(provider: ProviderName): number;
  reset(): void;
}

/**
 * The same dependencies with `providers` (real adapters, speaking HTTP) wrapped to count their calls in flight: the
 * per-provider bound is then measured where the jobs make their calls, though one simulator stands in for both.
 */
export function observeProviders(deps: Deps, adapters: Deps['providers']): { deps: Deps; calls: ProviderCalls } {
  let total = 0;
  const open = { ai302: 0, kling: 0 };
  const peak = { ai302: 0, kling: 0 };
  const wrap = (adapter: VideoProvider | undefined): VideoProvider | undefined => {
    if (!adapter) return undefined;
    const counted = async <T>(call: () => Promise<T>): Promise<T> => {
      total += 1;
      open[adapter.name] += 1;
      peak[adapter.name] = Math.max(peak[adapter.name], open[adapter.name]);
      try {
        return await call();
      } finally {
        open[adapter.name] -= 1;
      }
    };
    return {
      name: adapter.name,
      submit: (request, signal) => counted(() => adapter.submit(request, signal)),
      fetchStatus: (ref, signal) => counted(() => adapter.fetchStatus(ref, signal)),
      ...(adapter.findByClientTaskId ? { findByClientTaskId: (ref, signal) => counted(() => adapter.findByClientTaskId!(ref, signal)) } : {}),
    };
  };
  const providers = { ai302: wrap(adapters.ai302), kling: wrap(adapters.kling) };
  return {
    deps: { ...deps, providers },
    calls: {
      total: () => total,
      peak: (provider) => peak[provider],
      reset() {
        total = 0;
        peak.ai302 = open.ai302;
        peak.kling = open.kling;
      },
    },
  };
}
