import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { MailError, mailMessage, type Mailer } from './mailer.js';

export interface SmtpMailerOptions {
  /** `smtp://` (STARTTLS when the server offers it) or `smtps://` (TLS from the first byte), credentials in the URL. */
  url: string;
  /** The From of every message, e.g. `SimpleVideo <no-reply@example.com>`. */
  from: string;
  /** Deadline of one send, from connecting to the server's answer to the message. */
  timeoutMs: number;
}

/**
 * Sends through a mail server. One connection per message (no pool to keep alive or close): mail here is a
 * confirmation or a reset link now and then, not a newsletter.
 */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const { timeoutMs } = options;
  const transport = createTransport(
    {
      url: options.url,
      // Each phase has its own timer in nodemailer; the abort signal below bounds the whole send.
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      dnsTimeout: timeoutMs,
      // nodemailer's own logger would print message contents with `debug`: keep both off.
      logger: false,
      debug: false,
    },
    { from: options.from },
  );
  return {
    driver: 'smtp',
    async send(message, sendOptions = {}) {
      const { to, subject, text, html } = mailMessage.parse(message);
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = sendOptions.signal ? AbortSignal.any([sendOptions.signal, deadline]) : deadline;
      try {
        await transport.sendMail({ to, subject, text, ...(html !== undefined && { html }), signal });
      } catch (error) {
        throw translateSmtpError(error, deadline.aborted, timeoutMs);
      }
    },
  };
}

/** nodemailer's errors carry a `code` (ECONNECTION, ETIMEDOUT, EENVELOPE, …) and, when the server answered, its `responseCode`. */
const smtpFailure = z.object({ message: z.string(), code: z.string().optional(), responseCode: z.number().optional() });

function translateSmtpError(error: unknown, timedOut: boolean, timeoutMs: number): MailError {
  if (timedOut) return new MailError('unavailable', `the mail server did not take the message within ${timeoutMs} ms`, { cause: error });
  const parsed = smtpFailure.safeParse(error);
  const { code, responseCode, message: reason } = parsed.success ? parsed.data : { message: String(error) };
  // 5xx to the envelope or the message is permanent (RFC 5321 §4.2.1): trying again will not help.
  if ((code === 'EENVELOPE' || code === 'EMESSAGE') && responseCode !== undefined && responseCode >= 500) {
    return new MailError('rejected', `the mail server refused the message: ${reason}`, { cause: error });
  }
  return new MailError('unavailable', `sending mail failed: ${reason}`, { cause: error });
}
