// Builds (server and web app) only when an input of the build changed since the last successful build: `npm start`
// runs it first, so a start with nothing changed skips the 10–25 s build, and a fresh clone, or any changed source,
// still builds. Plain JavaScript, so it runs before anything is compiled and without dev dependencies.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders whose every file feeds the build, and single files that do (compiler and bundler settings, versions). */
const INPUT_DIRS = ['src', 'web', 'scripts'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Outputs and installs inside the input folders: never inputs. */
const SKIPPED = new Set(['node_modules', 'dist']);
/** What a complete build leaves; a missing one means build, whatever the stamp says. */
export const BUILD_OUTPUTS = ['dist/src/main.js', 'web/dist/index.html'];
/** Where the inputs' hash of the last successful build is kept (dist/ is never committed). */
export const STAMP_FILE = 'dist/.build-inputs.sha256';

function listFiles(root, dir) {
  const entries = readdirSync(path.join(root, dir), { withFileTypes: true });
  return entries.flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : listFiles(root, rel);
    return entry.isFile() ? [rel] : [];
  });
}

/** One SHA-256 over the names and contents of every build input under `root`, in a stable order. */
export function hashBuildInputs(root) {
  const files = [
    ...INPUT_DIRS.filter((dir) => existsSync(path.join(root, dir))).flatMap((dir) => listFiles(root, dir)),
    ...INPUT_FILES.filter((file) => existsSync(path.join(root, file))),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(createHash('sha256').update(readFileSync(path.join(root, file))).digest('hex'));
    hash.update('\n');
  }
  return hash.digest('hex');
}

/** Why `root` needs a build, or undefined when its last build is of exactly these inputs. */
export function staleReason(root, inputsHash = hashBuildInputs(root)) {
  const missing = BUILD_OUTPUTS.find((file) => !existsSync(path.join(root, file)));
  if (missing) return `${missing} is missing`;
  const stampPath = path.join(root, STAMP_FILE);
  if (!existsSync(stampPath)) return 'no record of the last build';
  return readFileSync(stampPath, 'utf8').trim() === inputsHash ? undefined : 'sources changed since the last build';
}

/** Records that the build of `inputsHash` succeeded. */
export function writeStamp(root, inputsHash) {
  mkdirSync(path.dirname(path.join(root, STAMP_FILE)), { recursive: true });
  writeFileSync(path.join(root, STAMP_FILE), `${inputsHash}\n`);
}

/**
 * Runs `build` when `root` is stale; resolves to whether it built. The hash is taken before the build: a file
 * changed while it runs makes the next start build again. A failed build writes no stamp (and throws).
 */
export function buildIfChanged(root, build, log = () => undefined) {
  const inputsHash = hashBuildInputs(root);
  const reason = staleReason(root, inputsHash);
  if (!reason) {
    log('build is up to date (node dist/src/main.js starts without this check)');
    return false;
  }
  log(`building: ${reason}`);
  build();
  writeStamp(root, inputsHash);
  return true;
}

function npmRunBuild(root) {
  const npm = process.env.npm_execpath
    ? { command: process.execPath, args: [process.env.npm_execpath, 'run', 'build'] }
    : { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: ['run', 'build'] };
  const result = spawnSync(npm.command, npm.args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status ?? result.signal})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  try {
    buildIfChanged(root, () => npmRunBuild(root), (line) => console.error(line));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
