import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createPasswordHasher } from './auth/password.js';
import { loadConfig } from './config.js';
import { loadDotEnv } from './dot-env.js';
import { prepareDataDir } from './data-dir.js';
import { backupEmbeddedDatabase, POSTGRES_BACKUP_DOC, restoreEmbeddedDatabase } from './db/backup.js';
import { prepareDatabase } from './db/prepare.js';
import { movePgliteToPostgres } from './db/move-to-postgres.js';
import { embeddedEngineOf, openDatabase } from './db/open.js';
import { setCreditBalance } from './db/queries/credits.js';
import { insertSubscription } from './db/queries/subscriptions.js';
import { findUserByEmail } from './db/queries/users.js';
import type { Db, Queryable } from './db/db.js';
import { normaliseEmail, signUp } from './domain/accounts.js';

const USAGE = `Usage: npm run admin -- <command> [options]
  migrate
  create-user --email E --password P
  grant-credits --email E --credits N [--level admin]
  set-subscription --email E --plan P --status S --credits-per-period N --days D [--manual-renewal]
  backup <file>              the embedded database, with the server stopped (PostgreSQL: see ${POSTGRES_BACKUP_DOC})
  restore <file> [--force]   into DATA_DIR, with the server stopped; --force replaces a database already there
  move-to-postgres           the PGlite database in DATA_DIR into the embedded PostgreSQL, with the server stopped`;

type Run = (db: Db, signupCredits: number) => Promise<unknown>;

/** A command: its options' schema and what it does with them; parsing first gives a clear message for bad flags. */
function command<S extends z.ZodType>(schema: S, run: (db: Db, options: z.output<S>, signupCredits: number) => Promise<unknown>) {
  return (values: unknown): Run => {
    const parsed = schema.safeParse(values);
    if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${USAGE}`);
    return (db, signupCredits) => run(db, parsed.data, signupCredits);
  };
}

const commands: Record<string, (values: unknown) => Run> = {
  migrate: command(z.object({}), (db) => prepareDatabase(db)),
  'create-user': command(z.object({ email: z.email(), password: z.string().min(8) }), async (db, o, signupCredits) => ({
    user: await signUp({ db, signupCredits, passwords: createPasswordHasher({ concurrency: 1, maxWaiting: 0 }) }, o),
  })),
  'grant-credits': command(
    z.object({ email: z.email(), credits: z.coerce.number().int().min(0), level: z.string().min(1).max(50).optional() }),
    (db, o) => db.transaction(async (tx) => setCreditBalance(tx, { userId: await userIdOf(tx, o.email), balance: o.credits, level: o.level })),
  ),
  'set-subscription': command(
    z.object({
      email: z.email(),
      plan: z.string().min(1).max(50),
      status: z.string().min(1).max(50),
      'credits-per-period': z.coerce.number().int().min(0),
      days: z.coerce.number().int().min(1),
      'manual-renewal': z.boolean().default(false),
    }),
    (db, o) =>
      db.transaction(async (tx) =>
        insertSubscription(tx, {
          userId: await userIdOf(tx, o.email),
          planType: o.plan,
          status: o.status,
          creditsPerPeriod: o['credits-per-period'],
          days: o.days,
          autoRenew: !o['manual-renewal'],
        }),
      ),
  ),
};

async function userIdOf(db: Queryable, email: string): Promise<string> {
  const user = await findUserByEmail(db, normaliseEmail(email));
  if (!user) throw new Error(`No user with email ${email}`);
  return user.id;
}

const fileCommandOptions = z.object({ file: z.string().min(1, 'a file name is needed'), force: z.boolean().default(false) });

/**
 * backup and restore work on the embedded database's files, not through a connection; with DATABASE_URL the
 * operator uses PostgreSQL's own tools, whose procedure docs/backups.md gives.
 */
async function runFileCommand(name: 'backup' | 'restore', args: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({ args, options: { force: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const parsed = fileCommandOptions.safeParse({ file: positionals[0] ?? '', force: values.force });
  if (!parsed.success || positionals.length > 1 || (name === 'backup' && values.force)) throw new Error(USAGE);
  loadDotEnv();
  const config = loadConfig();
  if (config.DATABASE_URL) {
    throw new Error(`DATABASE_URL is set: back up and restore a PostgreSQL database with pg_dump and pg_restore, as ${POSTGRES_BACKUP_DOC} describes`);
  }
  const warning = await prepareDataDir(config.DATA_DIR);
  if (warning) console.error(warning);
  const { file, force } = parsed.data;
  const engine = embeddedEngineOf(config.DATA_DIR, config.EMBEDDED_DATABASE);
  return name === 'backup' ? backupEmbeddedDatabase(config.DATA_DIR, file, engine) : restoreEmbeddedDatabase(config.DATA_DIR, file, { force, engine });
}

/** The PGlite database of earlier versions into the embedded PostgreSQL (db/move-to-postgres.ts). */
async function moveToPostgres(args: string[]): Promise<unknown> {
  if (args.length > 0) throw new Error(USAGE);
  loadDotEnv();
  const config = loadConfig();
  if (config.DATABASE_URL) throw new Error('DATABASE_URL is set: move-to-postgres moves the embedded PGlite database of DATA_DIR, and uses no DATABASE_URL');
  return movePgliteToPostgres(config.DATA_DIR);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === 'backup' || name === 'restore' || name === 'move-to-postgres') {
    console.log(JSON.stringify(name === 'move-to-postgres' ? await moveToPostgres(rest) : await runFileCommand(name, rest), null, 2));
    return;
  }
  const parseOptions = name ? commands[name] : undefined;
  if (!parseOptions) throw new Error(USAGE);
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' }, password: { type: 'string' }, credits: { type: 'string' }, level: { type: 'string' },
      plan: { type: 'string' }, status: { type: 'string' }, 'credits-per-period': { type: 'string' }, days: { type: 'string' },
      'manual-renewal': { type: 'boolean' },
    },
    strict: true,
  });
  const run = parseOptions(values);
  loadDotEnv();
  const config = loadConfig();
  if (!config.DATABASE_URL) {
    const warning = await prepareDataDir(config.DATA_DIR);
    if (warning) console.error(warning);
  }
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, embeddedDatabase: config.EMBEDDED_DATABASE, poolSize: 2 });
  try {
    // `migrate` itself reports what it applies.
    if (name !== 'migrate') await prepareDatabase(db);
    const result = await run(db, config.SIGNUP_CREDITS);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
