import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import { errors } from '../../../errors.js';
import { MailError, type Mailer, type MailMessage } from '../../../mail/mailer.js';

/**
 * The origin of the web app that mailed links open: PUBLIC_URL's; without it, outside production, the request's own
 * (the dev server or `npm start` on localhost). Production without PUBLIC_URL has none: a link built from the Host
 * header would let anyone who asks for a reset mail a victim a link to their own site.
 */
export function linkOriginOf(config: Pick<Config, 'PUBLIC_URL' | 'NODE_ENV'>, request: FastifyRequest): string | undefined {
  if (config.PUBLIC_URL) return new URL(config.PUBLIC_URL).origin;
  if (config.NODE_ENV === 'production') return undefined;
  return `${request.protocol}://${request.host}`;
}

/** Sends and waits: a failure is the caller's 503 mail_unavailable. */
export async function sendNow(mailer: Mailer, message: MailMessage): Promise<void> {
  try {
    await mailer.send(message);
  } catch (error) {
    if (error instanceof MailError) throw errors.mailUnavailable(error);
    throw error;
  }
}

/**
 * Sends without holding up the answer (whose time must not depend on the mail server, nor tell whether a mail
 * went); a failure is logged, without the address or the link.
 */
export function sendInBackground(mailer: Mailer, message: MailMessage, log: FastifyBaseLogger, what: string): void {
  mailer.send(message).catch((error: unknown) => {
    log.warn({ err: error instanceof MailError ? { kind: error.kind, message: error.message } : error }, `${what} mail not sent`);
  });
}
