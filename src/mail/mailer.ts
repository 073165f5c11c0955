import { z } from 'zod';

/** Control characters but tab and newline: in a subject they would fold or forge header lines. */
const CONTROL = /[^\P{Cc}\t\n]/u;

/**
 * One message to one person. The plain text is always there (every client shows it, and a link in it can be
 * followed from any); HTML may stand beside it. `to` is one address: a list would send one person's link to others.
 */
export const mailMessage = z.object({
  to: z.email().max(255),
  subject: z
    .string()
    .min(1)
    .max(255)
    .refine((v) => !CONTROL.test(v) && !v.includes('\n'), 'must be one line without control characters'),
  text: z.string(),
  html: z.string().optional(),
});

export type MailMessage = z.input<typeof mailMessage>;

/**
 * Where outbound mail goes. Messages carry secrets (confirmation and reset links): drivers never log a body, and
 * callers log at most whom a message went to.
 */
export interface Mailer {
  /** `smtp`: a mail server (SMTP_URL); `outbox`: files under DATA_DIR/mail, for development; `off`: production without SMTP_URL. */
  readonly driver: 'smtp' | 'outbox' | 'off';
  /**
   * Hands one message over, From being MAIL_FROM. Resolves once the mail server (or the outbox) has taken it, which
   * is not yet delivery. Rejects with MailError: `rejected` when the server refuses it for good (typically the
   * address), `unavailable` when it cannot go now (server down, slower than MAIL_TIMEOUT_MS, refused our login),
   * `off` when this service sends no mail. Throws a ZodError on a malformed message (a bug of the caller's).
   */
  send(message: MailMessage, options?: { signal?: AbortSignal }): Promise<void>;
}

export type MailErrorKind = 'rejected' | 'unavailable' | 'off';

export class MailError extends Error {
  override name = 'MailError';
  constructor(readonly kind: MailErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Production without SMTP_URL. Mail is switched off rather than written to a folder nobody reads: a message
 * that cannot reach its reader fails where it is sent, so the feature that sent it can say so.
 */
export const mailOff: Mailer = {
  driver: 'off',
  async send() {
    throw new MailError('off', 'mail is switched off: set SMTP_URL to send mail');
  },
};
