import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createPasswordHasher, hashPassword, verifyPassword } from './password.js';

describe('createPasswordHasher', () => {
  it('hashes and verifies as the plain functions do', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 4 });
    const stored = await hasher.hash('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery', await hashPassword('correct horse battery'))).toBe(true);
    expect(await hasher.verify('wrong', stored)).toBe(false);
  });

  it('runs at most `concurrency` at once and answers 503 past `maxWaiting` waiters', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 2 });
    const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => hasher.hash(`password ${i}`)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(refused).toHaveLength(2);
    for (const error of refused) expect(error).toMatchObject({ status: 503, code: 'auth_busy' } satisfies Partial<AppError>);
  });

  it('with no room to wait, still runs while a slot is free', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 0 });
    expect(await hasher.verify('x', await hasher.hash('x'))).toBe(true);
  });
});
