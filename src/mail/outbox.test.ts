import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestClock, type TestClock } from '../../test/helpers/clock.js';
import { MailError } from './mailer.js';
import { createMailOutbox, type MailOutbox } from './outbox.js';

const FROM = 'SimpleVideo <no-reply@localhost>';
let root: string;
let dir: string;
let clock: TestClock;
let outbox: MailOutbox;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sv-outbox-'));
  dir = path.join(root, 'mail');
  clock = createTestClock(new Date('2026-03-01T12:00:00.000Z'));
  outbox = createMailOutbox({ dir, from: FROM, clock, logger: pino({ level: 'silent' }) });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the development outbox', () => {
  it('keeps a message and reads it back, with the From it would have been sent with', async () => {
    await outbox.send({ to: 'ana@example.com', subject: 'Confirm your address', text: 'Open http://localhost:3000/confirm?token=abc', html: '<p>Hi</p>' });
    const [listed] = await outbox.list(10);
    expect(listed).toMatchObject({
      id: expect.stringMatching(/^20260301T120000000Z-000000-[0-9a-f]{8}$/),
      sentAt: '2026-03-01T12:00:00.000Z',
      from: FROM,
      to: 'ana@example.com',
      subject: 'Confirm your address',
      text: 'Open http://localhost:3000/confirm?token=abc',
      html: '<p>Hi</p>',
    });
    expect(await outbox.read(listed!.id)).toEqual(listed);
  });

  it('lists the newest first, at most the number asked for', async () => {
    for (const subject of ['first', 'second', 'third']) {
      await outbox.send({ to: 'ana@example.com', subject, text: subject });
      clock.advance(1_000);
    }
    expect((await outbox.list(10)).map((m) => m.subject)).toEqual(['third', 'second', 'first']);
    expect((await outbox.list(2)).map((m) => m.subject)).toEqual(['third', 'second']);
  });

  it('keeps the order of messages sent in the same millisecond', async () => {
    const subjects = Array.from({ length: 20 }, (_, i) => `message ${i}`);
    for (const subject of subjects) await outbox.send({ to: 'ana@example.com', subject, text: subject });
    expect((await outbox.list(100)).map((m) => m.subject)).toEqual(subjects.reverse());
  });

  it('writes owner-only files (0600) in an owner-only folder (0700), and no temporary file stays', async () => {
    await outbox.send({ to: 'ana@example.com', subject: 'Reset your password', text: 'secret link' });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const names = await readdir(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/\.json$/);
    expect((await stat(path.join(dir, names[0]!))).mode & 0o777).toBe(0o600);
  });

  it('is empty before the first message (no folder yet)', async () => {
    expect(await outbox.list(10)).toEqual([]);
  });

  it('answers undefined for an unknown id and for anything that is not an id (no path is ever built from it)', async () => {
    await outbox.send({ to: 'ana@example.com', subject: 's', text: 't' });
    await writeFile(path.join(root, 'outside.json'), JSON.stringify({ subject: 'not in the outbox' }));
    expect(await outbox.read('20260301T120000000Z-000000-00000000')).toBeUndefined();
    expect(await outbox.read('../outside')).toBeUndefined();
    expect(await outbox.read('')).toBeUndefined();
  });

  it('leaves out files that are not messages of its own', async () => {
    await outbox.send({ to: 'ana@example.com', subject: 'real', text: 't' });
    await writeFile(path.join(dir, '20990101T000000000Z-000000-ffffffff.json'), 'not json');
    await writeFile(path.join(dir, 'notes.txt'), 'hello');
    expect((await outbox.list(10)).map((m) => m.subject)).toEqual(['real']);
  });

  it('refuses a malformed message: a list of recipients, a subject that spans lines', async () => {
    await expect(outbox.send({ to: 'a@example.com, b@example.com', subject: 's', text: 't' })).rejects.toThrow();
    await expect(outbox.send({ to: 'a@example.com', subject: 'one\r\nBcc: b@example.com', text: 't' })).rejects.toThrow();
    expect(await outbox.list(10)).toEqual([]);
  });

  it('fails as MailError unavailable when it cannot write', async () => {
    await writeFile(dir, 'a file where the folder should be');
    await expect(outbox.send({ to: 'a@example.com', subject: 's', text: 't' })).rejects.toMatchObject({ name: 'MailError', kind: 'unavailable' });
    await expect(outbox.send({ to: 'a@example.com', subject: 's', text: 't' })).rejects.toBeInstanceOf(MailError);
  });
});
