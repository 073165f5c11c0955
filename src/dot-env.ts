import { existsSync } from 'node:fs';

/**
 * Reads `file` (default `.env` in the working directory) into process.env with Node's own parser, if it exists.
 * Variables already in the environment win, so a deployment's settings override the file. Called by the entry points
 * before the configuration is read.
 */
export function loadDotEnv(file = '.env'): boolean {
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}
