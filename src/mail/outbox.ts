import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { MailError, mailMessage, type Mailer } from './mailer.js';

/**
 * A message's id, and its file's name without `.json`: when it was sent (readable), a count that orders messages
 * sent in the same millisecond (a test clock that stands still), and a random part, so ids sort as messages were sent.
 */
const ID = /^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{8}$/;

const outboxMessage = z.object({
  id: z.string().regex(ID),
  sentAt: z.iso.datetime(),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().optional(),
});

/** One message as the outbox keeps it. */
export type OutboxMessage = z.output<typeof outboxMessage>;

/** The development mailer: it keeps messages instead of sending them, and shows them again. */
export interface MailOutbox extends Mailer {
  readonly driver: 'outbox';
  /** The newest `limit` messages, newest first. A file that is not a message of ours is left out, not an error. */
  list(limit: number): Promise<OutboxMessage[]>;
  /** One message; undefined when there is none by that id (or the id is not one the outbox makes). */
  read(id: string): Promise<OutboxMessage | undefined>;
}

export interface MailOutboxOptions {
  /** Where the messages are kept: DATA_DIR/mail. */
  dir: string;
  /** The From each message records, as SMTP would send it. */
  from: string;
  clock: Clock;
  /** Told where each message went (its id and recipient; never its body, which may hold a reset link). */
  logger: Pick<Logger, 'info'>;
}

/**
 * Each message is one JSON file under `dir`, owner-only (0600, in a 0700 folder) like everything in DATA_DIR: they
 * hold the same links a mailbox would. Written under a temporary name and renamed, so a reader never sees half a file.
 */
export function createMailOutbox(options: MailOutboxOptions): MailOutbox {
  const { dir } = options;
  const fileOf = (id: string) => path.join(dir, `${id}.json`);
  let sent = 0;

  async function readMessage(file: string): Promise<OutboxMessage | undefined> {
    const raw = await readFile(file, 'utf8').catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (raw === undefined) return undefined;
    const parsed = outboxMessage.safeParse(parseJson(raw));
    return parsed.success ? parsed.data : undefined;
  }

  return {
    driver: 'outbox',
    async send(message, sendOptions = {}) {
      const { to, subject, text, html } = mailMessage.parse(message);
      const sentAt = options.clock.now();
      const count = String(sent++ % 1_000_000).padStart(6, '0');
      const id = `${sentAt.toISOString().replace(/[-:.]/g, '')}-${count}-${randomBytes(4).toString('hex')}`;
      const record: OutboxMessage = { id, sentAt: sentAt.toISOString(), from: options.from, to, subject, text, ...(html !== undefined && { html }) };
      const temporary = path.join(dir, `.${id}.tmp`);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(temporary, JSON.stringify(record, null, 2), { mode: 0o600, flag: 'wx', signal: sendOptions.signal });
        await rename(temporary, fileOf(id));
      } catch (error) {
        throw new MailError('unavailable', `the development outbox could not keep the message: ${String(error)}`, { cause: error });
      }
      options.logger.info({ mailId: id, to }, `mail kept in the development outbox (DATA_DIR/mail), shown at /dev/mail/${id}`);
    },
    async list(limit) {
      const names = await readdir(dir).catch((error: unknown) => {
        if (isMissing(error)) return [];
        throw error;
      });
      const files = names
        .filter((name) => name.endsWith('.json') && ID.test(name.slice(0, -'.json'.length)))
        .sort()
        .reverse()
        .slice(0, limit);
      const messages = await Promise.all(files.map((name) => readMessage(path.join(dir, name))));
      return messages.filter((m) => m !== undefined);
    },
    async read(id) {
      return ID.test(id) ? readMessage(fileOf(id)) : undefined;
    },
  };
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
