import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MailError } from '../src/mail/mailer.js';
import { createSmtpMailer } from '../src/mail/smtp.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const FROM = 'SimpleVideo <no-reply@video.example.com>';
const MESSAGE = {
  to: 'ana@example.com',
  subject: '确认你的邮箱 / Confirm your address',
  text: 'Open http://localhost:3000/confirm?token=abc to confirm.\n',
  html: '<p>Open <a href="http://localhost:3000/confirm?token=abc">this link</a> to confirm.</p>',
};

const servers: Array<TestSmtpServer | Server> = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    if ('received' in server) await server.close();
    else await new Promise((resolve) => server.close(resolve));
  }
});

async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const server = await startSmtpServer(options);
  servers.push(server);
  return server;
}

/** Accepts connections and never says a word: a mail server that hangs before its greeting. */
async function silentServer(): Promise<string> {
  const server = createServer((socket) => sockets.push(socket));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `smtp://127.0.0.1:${port}`;
}

/** The MailError a send rejects with, and how long it took. */
async function failureOf(send: Promise<void>): Promise<{ error: MailError; ms: number }> {
  const started = Date.now();
  const error = await send.then(
    () => expect.unreachable('the send should have failed'),
    (e: unknown) => e,
  );
  if (!(error instanceof MailError)) throw error;
  return { error, ms: Date.now() - started };
}

describe('the SMTP mailer, against a real SMTP server on loopback', () => {
  it('delivers From (MAIL_FROM), To, Subject, the text and the HTML part', async () => {
    const server = await smtpServer();
    await createSmtpMailer({ url: server.url, from: FROM, timeoutMs: 5_000 }).send(MESSAGE);
    expect(server.received).toHaveLength(1);
    const [received] = server.received;
    expect(received?.envelope).toEqual({ from: 'no-reply@video.example.com', to: ['ana@example.com'] });
    expect(received?.message.from?.value).toEqual([{ name: 'SimpleVideo', address: 'no-reply@video.example.com' }]);
    expect(received?.message.to).toMatchObject({ value: [{ name: '', address: 'ana@example.com' }] });
    expect(received?.message.subject).toBe(MESSAGE.subject);
    expect(received?.message.text).toBe(MESSAGE.text);
    expect(received?.message.html).toBe(MESSAGE.html);
  });

  it('signs in with the credentials in the URL (percent-encoded)', async () => {
    const server = await smtpServer({ auth: { user: 'mailer@example.com', pass: 'p@ss:w/rd%' } });
    await createSmtpMailer({ url: server.url, from: FROM, timeoutMs: 5_000 }).send({ to: 'bo@example.com', subject: 'Hello', text: 'hi' });
    expect(server.received.map((m) => m.message.subject)).toEqual(['Hello']);
  });

  it('fails as unavailable when the server refuses the login', async () => {
    const server = await smtpServer({ auth: { user: 'mailer', pass: 'right' } });
    const url = server.url.replace('mailer:right@', 'mailer:wrong@');
    const { error } = await failureOf(createSmtpMailer({ url, from: FROM, timeoutMs: 5_000 }).send(MESSAGE));
    expect(error.kind).toBe('unavailable');
    expect(server.received).toHaveLength(0);
  });

  it('fails as rejected when the server refuses the recipient for good (5xx)', async () => {
    const server = await smtpServer({ behaviour: 'refuse-recipients' });
    const { error } = await failureOf(createSmtpMailer({ url: server.url, from: FROM, timeoutMs: 5_000 }).send(MESSAGE));
    expect(error.kind).toBe('rejected');
    expect(error.message).toMatch(/Recipient address rejected/);
  });

  it('fails at once, as unavailable, when no server listens', async () => {
    const { error, ms } = await failureOf(createSmtpMailer({ url: await closedPort(), from: FROM, timeoutMs: 5_000 }).send(MESSAGE));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(ms).toBeLessThan(2_000);
  });

  it('gives up within the timeout on a server that never greets', async () => {
    const { error, ms } = await failureOf(createSmtpMailer({ url: await silentServer(), from: FROM, timeoutMs: 500 }).send(MESSAGE));
    expect(error.kind).toBe('unavailable');
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2_500);
  });

  it('gives up within the timeout on a server that takes the message and never answers', async () => {
    const server = await smtpServer({ behaviour: 'never-answer' });
    const { error, ms } = await failureOf(createSmtpMailer({ url: server.url, from: FROM, timeoutMs: 500 }).send(MESSAGE));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toBe('the mail server did not take the message within 500 ms');
    expect(ms).toBeLessThan(2_500);
  });

  it("stops when the caller's signal aborts, before the timeout", async () => {
    const mailer = createSmtpMailer({ url: await silentServer(), from: FROM, timeoutMs: 10_000 });
    const { error, ms } = await failureOf(mailer.send(MESSAGE, { signal: AbortSignal.timeout(200) }));
    expect(error.kind).toBe('unavailable');
    expect(ms).toBeLessThan(2_000);
  });
});
