import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../errors.js';
import { requireCronSecret } from './cron-auth.js';

/** A real Fastify app with one guarded route; inject's peer is loopback (127.0.0.1). */
async function statusOf(secret: string | undefined, production: boolean, authorization?: string): Promise<number> {
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => reply.status(error instanceof AppError ? error.status : 500).send());
  app.get('/job', { preHandler: requireCronSecret(secret, { production }) }, async () => ({ ok: true }));
  const res = await app.inject({ method: 'GET', url: '/job', headers: authorization ? { authorization } : {} });
  await app.close();
  return res.statusCode;
}

describe('requireCronSecret', () => {
  it('in production, without a secret, admits no one, not even loopback', async () => {
    expect(await statusOf(undefined, true)).toBe(401);
  });

  it('outside production, without a secret, admits loopback callers only', async () => {
    expect(await statusOf(undefined, false)).toBe(200);
  });

  it('with a secret, admits its bearer alone, from any address', async () => {
    const secret = 's'.repeat(20);
    expect(await statusOf(secret, true, `Bearer ${secret}`)).toBe(200);
    expect(await statusOf(secret, true, `Bearer ${secret}x`)).toBe(401);
    expect(await statusOf(secret, false)).toBe(401);
  });
});
