/**
 * A process that holds the embedded database of DATA_DIR (argv[2]) as the server does: it opens it, records a row
 * given as argv[3], prints `ready` and waits to be killed. test/embedded-postgres.test.ts runs it
 * to have a process to SIGKILL, and as another user.
 */
import { openDatabase } from '../../src/db/open.js';

const [dataDir, note] = process.argv.slice(2);
if (!dataDir || !note) throw new Error('usage: embedded-postgres-holder.ts DATA_DIR NOTE');
const db = await openDatabase({ dataDir, embeddedDatabase: 'postgres', poolSize: 2 });
await db.exec('create table if not exists holder_notes (note text not null)');
await db.query('insert into holder_notes (note) values ($1)', [note]);
console.log('ready');
setInterval(() => undefined, 60_000);
