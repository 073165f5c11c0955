import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The SMTP envelope: MAIL FROM and RCPT TO, which decide delivery whatever the headers say. */
  envelope: { from: string; to: string[] };
  /** The message as a mail client reads it (headers decoded, text and HTML parts). */
  message: ParsedMail;
}

export interface TestSmtpServer {
  /** `smtp://[user:pass@]127.0.0.1:<port>`, as SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

export interface TestSmtpServerOptions {
  /** Credentials the server requires (AUTH PLAIN/LOGIN over the plain connection); unset: anyone may send. */
  auth?: { user: string; pass: string };
  /** `accept` (default); `refuse-recipients`: 550 to every RCPT TO; `never-answer`: takes the message and never replies. */
  behaviour?: 'accept' | 'refuse-recipients' | 'never-answer';
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 at a random port, without TLS, keeping what arrives. */
export async function startSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const { auth, behaviour = 'accept' } = options;
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: auth === undefined,
    allowInsecureAuth: true,
    logger: false,
    // Connections the test left hanging (never-answer) must not hold close() for the default 30 s.
    closeTimeout: 100,
    onAuth(login, _session, callback) {
      if (login.username === auth?.user && login.password === auth?.pass) return callback(null, { user: login.username });
      return callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (behaviour !== 'refuse-recipients') return callback();
      return callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      void buffer(stream).then(async (raw) => {
        if (behaviour === 'never-answer') return;
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        received.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, message: await simpleParser(raw) });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
