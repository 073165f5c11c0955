import { loadDotEnv } from './dot-env.js';
import { runSmokeCommand } from './smoke/command.js';

/** `npm run smoke -- --provider ai302|kling [--i2v]`: one real task end to end, for operators with real keys. */
loadDotEnv();
runSmokeCommand(process.argv.slice(2), process.env, (line) => console.log(line)).then(
  (archived) => process.exit(archived ? 0 : 1),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
