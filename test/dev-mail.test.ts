import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { createMailOutbox } from '../src/mail/outbox.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

/** Production as an operator would configure it, with the simulator asked for by name (no provider keys here). */
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: '5f0c2a9e7b13d84c6e21f9a07d3b58e4c1a6f2d90b7e35c8',
  CRON_SECRET: '9d4e1b7a03c6f825e0b9d3a1',
  PROVIDER_SIMULATOR: 'true',
};
const CONFIRM = 'http://localhost:3000/confirm?token=abc123';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('/dev/mail (development outbox)', () => {
  it('is the mail driver of a service without SMTP_URL outside production', () => {
    expect(t.deps.mailer.driver).toBe('outbox');
    expect(t.mailOutbox).toBe(t.deps.mailer);
  });

  it('lists what was sent, newest first, each confirmation link clickable', async () => {
    const empty = await t.app.inject({ method: 'GET', url: '/dev/mail' });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('No mail yet');

    await t.deps.mailer.send({ to: 'ana@example.com', subject: 'Confirm your address', text: `Confirm: ${CONFIRM}.` });
    t.clock.advance(1_000);
    await t.deps.mailer.send({ to: 'bo@example.com', subject: 'Reset <your> password', text: 'No link here' });

    const res = await t.app.inject({ method: 'GET', url: '/dev/mail' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain(`<a href="${CONFIRM}">${CONFIRM}</a>`);
    // Escaped, never markup.
    expect(res.body).toContain('Reset &#60;your&#62; password');
    expect(res.body.indexOf('Reset &#60;your&#62;')).toBeLessThan(res.body.indexOf('Confirm your address'));
  });

  it('shows one message: From, To, the text with its links', async () => {
    await t.deps.mailer.send({ to: 'cy@example.com', subject: 'One message', text: `Hello <b>Cy</b>,\nfollow ${CONFIRM}` });
    const [latest] = await t.mailOutbox!.list(1);
    const res = await t.app.inject({ method: 'GET', url: `/dev/mail/${latest!.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('SimpleVideo &#60;no-reply@localhost&#62;');
    expect(res.body).toContain('cy@example.com');
    expect(res.body).toContain(`Hello &#60;b&#62;Cy&#60;/b&#62;,\nfollow <a href="${CONFIRM}">${CONFIRM}</a>`);
    expect(res.body).not.toContain(`/dev/mail/${latest!.id}/html`);
    expect((await t.app.inject({ method: 'GET', url: `/dev/mail/${latest!.id}/html` })).statusCode).toBe(404);
  });

  it('serves the HTML part as a sandboxed document of its own', async () => {
    await t.deps.mailer.send({ to: 'di@example.com', subject: 'Both parts', text: 'text', html: '<p>Hi <a href="https://example.com/">there</a></p>' });
    const [latest] = await t.mailOutbox!.list(1);
    expect((await t.app.inject({ method: 'GET', url: `/dev/mail/${latest!.id}` })).body).toContain(`/dev/mail/${latest!.id}/html`);
    const res = await t.app.inject({ method: 'GET', url: `/dev/mail/${latest!.id}/html` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('<p>Hi <a href="https://example.com/">there</a></p>');
    expect(res.headers['content-security-policy']).toMatch(/(^|;)sandbox allow-popups allow-popups-to-escape-sandbox(;|$)/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('answers only callers on this machine (the socket, not X-Forwarded-For): 403 from elsewhere', async () => {
    const [latest] = await t.mailOutbox!.list(1);
    for (const url of ['/dev/mail', `/dev/mail/${latest!.id}`, `/dev/mail/${latest!.id}/html`]) {
      const res = await t.app.inject({ method: 'GET', url, remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': '127.0.0.1' } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'local_only' });
    }
  });

  it.each(['20260101T000000000Z-000000-00000000', '..%2F..%2Fpackage', 'x'.repeat(65)])('answers 404 for %s', async (id) => {
    const res = await t.app.inject({ method: 'GET', url: `/dev/mail/${id}` });
    expect(res.statusCode).toBe(id.length > 64 ? 400 : 404);
  });
});

describe('/dev/mail elsewhere', () => {
  let production: TestApp;
  let webRoot: string;
  beforeAll(async () => {
    production = await createTestApp({ env: PRODUCTION, testDb: t.testDb });
    webRoot = await mkdtemp(path.join(tmpdir(), 'sv-web-'));
    await writeFile(path.join(webRoot, 'index.html'), '<!doctype html><title>app</title>');
  });
  afterAll(async () => {
    await production?.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('production without SMTP_URL: mail is off, and no outbox is served', async () => {
    expect(production.deps.mailer.driver).toBe('off');
    expect(production.mailOutbox).toBeUndefined();
    await expect(production.deps.mailer.send({ to: 'a@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ name: 'MailError', kind: 'off' });
    expect((await production.app.inject({ method: 'GET', url: '/dev/mail' })).statusCode).toBe(404);
  });

  it('production never serves an outbox, even one it is handed, nor the web app in its place', async () => {
    const mailOutbox = createMailOutbox({ dir: path.join(production.dataDir, 'mail'), from: 'x@localhost', clock: production.clock, logger: pino({ level: 'silent' }) });
    await mailOutbox.send({ to: 'a@example.com', subject: 'secret', text: 'reset link' });
    const app = await buildApp(production.deps, { mailOutbox, webRoot });
    try {
      for (const url of ['/dev/mail', `/dev/mail/${(await mailOutbox.list(1))[0]!.id}`]) {
        const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
        expect(res.statusCode).toBe(404);
        expect(res.body).not.toContain('secret');
      }
    } finally {
      await app.close();
    }
  });
});

describe('with SMTP_URL', () => {
  let smtp: TestSmtpServer;
  let viaSmtp: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    viaSmtp = await createTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'Video <mail@video.example.com>' }, testDb: t.testDb });
  });
  afterAll(async () => {
    await viaSmtp?.close();
    await smtp?.close();
  });

  it('sends through the mail server, From MAIL_FROM, and keeps no outbox', async () => {
    expect(viaSmtp.deps.mailer.driver).toBe('smtp');
    expect(viaSmtp.mailOutbox).toBeUndefined();
    await viaSmtp.deps.mailer.send({ to: 'ana@example.com', subject: 'Via SMTP', text: CONFIRM });
    expect(smtp.received.map((m) => [m.message.from?.text, m.envelope.to, m.message.subject])).toEqual([
      ['"Video" <mail@video.example.com>', ['ana@example.com'], 'Via SMTP'],
    ]);
    expect((await viaSmtp.app.inject({ method: 'GET', url: '/dev/mail' })).statusCode).toBe(404);
  });
});
