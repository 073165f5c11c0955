import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createStorage } from '../compose.js';
import { loadConfig, type Config } from '../config.js';
import { addressPolicy } from '../domain/archive/address-policy.js';
import { CATALOG, type Product } from '../domain/catalog.js';
import { createAi302Provider } from '../providers/ai302.js';
import type { FetchFn } from '../providers/http.js';
import { createKlingProvider } from '../providers/kling.js';
import type { ProviderName, TaskKind, VideoProvider } from '../providers/video-provider.js';
import { smokeStartImage } from './png.js';
import { runSmoke } from './run.js';
import { createTranscript, type Print } from './transcript.js';

const USAGE = `Usage: npm run smoke -- --provider ai302|kling [--i2v] [--poll-seconds 10] [--timeout-minutes 20]
Submits one task of the cheapest product (5 s, standard quality; --i2v: image-to-video from a generated image) to
the real provider, with the keys in the environment (AI302_API_KEY, or KLING_ACCESS_KEY and KLING_SECRET_KEY, and
AI302_BASE_URL / KLING_BASE_URL), follows it to the end, copies the result into the configured storage, and prints
every request and answer with the secrets masked, and the cost.`;

const optionsSchema = z.object({
  provider: z.enum(['ai302', 'kling']),
  i2v: z.boolean().default(false),
  'poll-seconds': z.coerce.number().positive().default(10),
  'timeout-minutes': z.coerce.number().positive().default(20),
});

type Options = z.output<typeof optionsSchema>;

/**
 * `npm run smoke`: one real task through the real adapters, for an operator holding real keys. It never falls back
 * to the simulator: without the provider's keys it stops. Resolves true when the task completed and was archived.
 */
export async function runSmokeCommand(argv: string[], env: NodeJS.ProcessEnv, print: Print): Promise<boolean> {
  const options = parseOptions(argv);
  const config = loadConfig(env);
  const transcript = createTranscript({ print, secrets: secretsOf(config) });
  const provider = createProvider(config, options.provider, transcript.fetch);
  const product = cheapestProduct(options.provider, options.i2v ? 'i2v' : 't2v');
  const storage = await createStorage(config);
  const baseUrl = options.provider === 'ai302' ? config.AI302_BASE_URL : config.KLING_BASE_URL;
  const geo = options.provider === 'ai302' && config.AI302_GEO ? `, geo ${config.AI302_GEO}` : '';
  print(`== smoke test: ${options.provider} at ${baseUrl}${geo}; results into ${storage.driver} storage`);
  const outcome = await runSmoke({
    provider,
    product,
    ...(product.kind === 'i2v' ? { image: smokeStartImage() } : {}),
    copy: { storage, policy: addressPolicy(config.ARCHIVE_ALLOW_PRIVATE_HOSTS), maxBytes: config.ARCHIVE_MAX_BYTES, timeoutMs: config.ARCHIVE_TIMEOUT_MS },
    allowHttpResults: config.PROVIDER_SIMULATOR,
    pollMs: options['poll-seconds'] * 1000,
    timeoutMs: options['timeout-minutes'] * 60_000,
    print,
    answers: transcript.answers,
  });
  return outcome.state === 'archived';
}

function parseOptions(argv: string[]): Options {
  let values: unknown;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { provider: { type: 'string' }, i2v: { type: 'boolean' }, 'poll-seconds': { type: 'string' }, 'timeout-minutes': { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${USAGE}`);
  return parsed.data;
}

/** The real adapter, its calls printed through `fetch`; a provider without keys stops the command. */
function createProvider(config: Config, name: ProviderName, fetch: FetchFn): VideoProvider {
  const timeoutMs = config.PROVIDER_TIMEOUT_MS;
  if (name === 'ai302') {
    if (!config.AI302_API_KEY) throw new Error('AI302_API_KEY is not set: the smoke test talks to the real 302.ai and needs its key');
    return createAi302Provider({ apiKey: config.AI302_API_KEY, baseUrl: config.AI302_BASE_URL, geo: config.AI302_GEO, timeoutMs, fetch });
  }
  if (!config.KLING_ACCESS_KEY || !config.KLING_SECRET_KEY) {
    throw new Error('KLING_ACCESS_KEY and KLING_SECRET_KEY are not set: the smoke test talks to the real Kling API and needs them');
  }
  return createKlingProvider({ accessKey: config.KLING_ACCESS_KEY, secretKey: config.KLING_SECRET_KEY, baseUrl: config.KLING_BASE_URL, timeoutMs, fetch });
}

/** Every credential the configuration holds: none of them may reach the transcript. */
function secretsOf(config: Config): string[] {
  return [config.AI302_API_KEY, config.KLING_ACCESS_KEY, config.KLING_SECRET_KEY, config.S3_SECRET_ACCESS_KEY].filter((s): s is string => !!s);
}

/** The provider's cheapest product of the kind: 5 s at standard quality, by our catalog's price. */
function cheapestProduct(provider: ProviderName, kind: TaskKind): Product {
  const [cheapest] = CATALOG.filter((p) => p.provider === provider && p.kind === kind).sort((a, b) => a.credits - b.credits);
  if (!cheapest) throw new Error(`The catalog has no ${kind} product for ${provider}`);
  return cheapest;
}
