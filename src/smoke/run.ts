import { newArchiveKeys } from '../domain/archive/archive-deps.js';
import { storeResultFiles, type CopyDeps } from '../domain/archive/archive-task.js';
import type { Product } from '../domain/catalog.js';
import { resultUrlProblem } from '../domain/sync/result-url.js';
import { ProviderError, type ProviderStatus, type VideoProvider } from '../providers/video-provider.js';
import type { Print } from './transcript.js';

/** One smoke run: a task for `product` at `provider`, followed to the end and archived through `copy`. */
export interface SmokeRun {
  provider: VideoProvider;
  product: Product;
  /** The start frame (PNG) when the product is image-to-video. */
  image?: Buffer;
  /** Storage and download rules, as the archive pass uses them. */
  copy: CopyDeps;
  /** Whether plain-http result URLs pass (PROVIDER_SIMULATOR), as in the sync pass. */
  allowHttpResults: boolean;
  pollMs: number;
  timeoutMs: number;
  print: Print;
  /** The provider's answers as they arrive (the transcript's), searched for what it says the task cost. */
  answers: readonly unknown[];
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type SmokeOutcome = { state: 'archived'; videoUrl: string } | { state: 'failed'; reason: string };

/** Fields a provider might bill in: Kling's documented `final_unit_deduction`, and names any gateway may use. */
const COST_FIELD = /deduction|cost|price|fee|charge|credit|ticket|quota/i;

/** Submits, follows and archives one task, printing each step; the outcome is the last line's verdict. */
export async function runSmoke(run: SmokeRun): Promise<SmokeOutcome> {
  const { product, print } = run;
  print(`== submit: ${product.id} (${product.kind}, ${product.durationSeconds} s, ${product.highQuality ? 'high' : 'standard'} quality, model ${product.model})`);
  const outcome = await submitAndFollow(run);
  print('== cost');
  print(`   our catalog: ${product.credits} credit${product.credits === 1 ? '' : 's'} (${product.id})`);
  const reported = costFields(run.answers);
  print(reported.length > 0 ? `   the provider's answers: ${reported.join(', ')}` : '   the provider reported no cost in its answers');
  print(outcome.state === 'archived' ? `== result: completed and archived (${outcome.videoUrl})` : `== result: failed: ${outcome.reason}`);
  return outcome;
}

async function submitAndFollow(run: SmokeRun): Promise<SmokeOutcome> {
  const { product, print } = run;
  const now = run.now ?? Date.now;
  let externalTaskId: string;
  try {
    ({ externalTaskId } = await run.provider.submit({
      kind: product.kind,
      durationSeconds: product.durationSeconds,
      highQuality: product.highQuality,
      model: product.model,
      prompt: 'A red fox trotting through fresh snow at dawn, cinematic',
      negativePrompt: 'blurry',
      cfg: 0.5,
      aspectRatio: '16:9',
      ...(run.image ? { image: { bytes: run.image, contentType: 'image/png' as const } } : {}),
      clientTaskId: `smoke-${now().toString(36)}`,
    }));
  } catch (error) {
    return { state: 'failed', reason: `submission refused: ${describe(error)}` };
  }
  print(`== follow: task ${externalTaskId}, asking every ${run.pollMs / 1000} s`);
  const status = await follow(run, { kind: product.kind, externalTaskId });
  if (status.state === 'failed') return status;
  if (status.state === 'processing') return { state: 'failed', reason: `not finished after ${Math.round(run.timeoutMs / 1000)} s` };
  return archive(run, status);
}

async function follow(run: SmokeRun, ref: { kind: Product['kind']; externalTaskId: string }): Promise<ProviderStatus> {
  const now = run.now ?? Date.now;
  const sleep = run.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + run.timeoutMs;
  for (;;) {
    try {
      const status = await run.provider.fetchStatus(ref);
      run.print(`   status: ${status.state}`);
      if (status.state !== 'processing') return status;
    } catch (error) {
      // As in the sync pass, a passing error is asked again; anything else ends the run.
      if (!(error instanceof ProviderError) || error.kind !== 'transient') return { state: 'failed', reason: `status check refused: ${describe(error)}` };
      run.print(`   transient error, asking again: ${error.message}`);
    }
    if (now() >= deadline) return { state: 'processing' };
    await sleep(run.pollMs);
  }
}

/** Copies the result into storage the way the archive pass does, after the sync pass's check of the URL. */
async function archive(run: SmokeRun, status: Extract<ProviderStatus, { state: 'completed' }>): Promise<SmokeOutcome> {
  const { print } = run;
  print(`== archive: video ${status.videoUrl}${status.thumbnailUrl ? `, thumbnail ${status.thumbnailUrl}` : ', no thumbnail from the provider'}`);
  const problem = resultUrlProblem(status.videoUrl, run.allowHttpResults);
  if (problem) return { state: 'failed', reason: `the video URL would be refused: ${problem}` };
  const keys = newArchiveKeys();
  try {
    const stored = await storeResultFiles(run.copy, { videoUrl: status.videoUrl, thumbnailUrl: status.thumbnailUrl }, keys);
    print(`   video stored as ${keys.video} (${await sizeOf(run.copy, keys.video)} bytes): ${stored.resultUrl}`);
    print(stored.thumbnailUrl ? `   thumbnail stored as ${keys.thumbnail} (${await sizeOf(run.copy, keys.thumbnail)} bytes): ${stored.thumbnailUrl}` : '   no thumbnail stored');
    return { state: 'archived', videoUrl: stored.resultUrl };
  } catch (error) {
    return { state: 'failed', reason: `archiving failed: ${describe(error)}` };
  }
}

async function sizeOf(copy: CopyDeps, key: string): Promise<number> {
  const object = await copy.storage.get(key);
  object.body.destroy();
  return object.bytes;
}

function describe(error: unknown): string {
  if (error instanceof ProviderError) return `${error.kind}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** `path = value` for every primitive field in the answers whose name looks like a cost, each path once, last value. */
function costFields(answers: readonly unknown[]): string[] {
  const found = new Map<string, string>();
  const visit = (value: unknown, path: string) => {
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}[${i}]`));
    else if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key);
    else if (value !== null && value !== undefined && COST_FIELD.test(path.split('.').at(-1) ?? '')) found.set(path, String(value));
  };
  for (const answer of answers) visit(answer, '');
  return [...found].map(([path, value]) => `${path} = ${value}`);
}
