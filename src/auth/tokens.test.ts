import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenService } from './tokens.js';

const SECRET = 'unit-secret-unit-secret-unit-secret-0123';
const user = { id: randomUUID(), email: 'ada@example.com' };

describe('our access tokens', () => {
  it('name their session in Supabase’s claim and live exactly ttlSeconds', async () => {
    let now = Date.UTC(2026, 0, 1);
    const tokens = createTokenService({ secret: SECRET, ttlSeconds: 900, now: () => now });
    const sessionId = randomUUID();
    const { token, expiresIn } = await tokens.issue!(user, sessionId);
    expect(expiresIn).toBe(900);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: user.id, email: user.email, role: 'authenticated', aud: 'authenticated', session_id: sessionId });
    expect(claims.exp! - claims.iat!).toBe(900);
    now += 899_000;
    expect(await tokens.verify(token)).toEqual({ ...user, sessionId });
    now += 1_000;
    expect(await tokens.verify(token)).toBeNull();
  });

  it('refuse a token signed with the secret that names no session, or not as a uuid', async () => {
    const tokens = createTokenService({ secret: SECRET, ttlSeconds: 900 });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ email: user.email, role: 'authenticated', ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setAudience('authenticated')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET));
    expect(await tokens.verify(await sign({}))).toBeNull();
    expect(await tokens.verify(await sign({ session_id: 'not-a-uuid' }))).toBeNull();
    expect(await tokens.verify(await sign({ session_id: user.id }))).toEqual({ ...user, sessionId: user.id });
  });
});
