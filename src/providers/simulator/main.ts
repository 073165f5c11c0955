import { z } from 'zod';
import { startSimulator } from './index.js';

/**
 * Runs the simulator on its own (`npm run simulator`). It reads its few variables here rather than through
 * src/config.ts because it is a development tool, not part of the server; the keys default to the values a
 * local .env would use against it.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  // Not HOST: the app's own HOST (often 0.0.0.0) would expose the simulator beyond loopback.
  SIMULATOR_HOST: z.string().default('127.0.0.1'),
  SIMULATOR_DELAY_MS: z.coerce.number().int().min(0).default(15_000),
  SIMULATOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  AI302_API_KEY: z.string().min(1).default('sim-302-key'),
  KLING_ACCESS_KEY: z.string().min(1).default('sim-access-key'),
  KLING_SECRET_KEY: z.string().min(1).default('sim-secret-key'),
  // Set: its tasks are kept there, so a restart of the simulator loses none (as the built-in one's DATA_DIR/simulator).
  SIMULATOR_STATE_DIR: z.string().min(1).optional(),
});

const parsed = envSchema.safeParse(process.env);
if (!parsed.success) {
  console.error(`Invalid simulator configuration:\n${z.prettifyError(parsed.error)}`);
  process.exit(1);
}
const env = parsed.data;
const simulator = await startSimulator({
  port: env.PORT,
  host: env.SIMULATOR_HOST,
  delayMs: env.SIMULATOR_DELAY_MS,
  failureRate: env.SIMULATOR_FAILURE_RATE,
  // 302 issues both id forms; a client developed against the simulator should meet both.
  ai302TaskIds: 'alternating',
  ai302ApiKey: env.AI302_API_KEY,
  klingAccessKey: env.KLING_ACCESS_KEY,
  klingSecretKey: env.KLING_SECRET_KEY,
  recordRequests: false,
  ...(env.SIMULATOR_STATE_DIR === undefined ? {} : { stateDir: env.SIMULATOR_STATE_DIR }),
});
console.log(`Provider simulator listening on ${simulator.url} (302.ai: /klingai/*, Kling: /v1/videos/*)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    simulator.close().then(() => process.exit(0), () => process.exit(1));
  });
}
