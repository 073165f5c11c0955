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

  it('carry Supabase Auth’s claims, with the issuer when one is set', async () => {
    const tokens = createTokenService({ secret: SECRET, ttlSeconds: 900, issuer: 'https://video.example.com/auth/v1' });
    const amr = [{ method: 'otp', timestamp: 1_700_000_000 }];
    const { token, expiresAt } = await tokens.issue!(user, randomUUID(), { amr, userMetadata: { name: 'Ada' } });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'https://video.example.com/auth/v1', phone: '', aal: 'aal1', amr, is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: { name: 'Ada' },
    });
    expect(claims.exp).toBe(expiresAt);
    const plain = decodeJwt((await createTokenService({ secret: SECRET, ttlSeconds: 900 }).issue!(user, randomUUID())).token);
    expect(plain.iss).toBeUndefined();
    expect(plain).toMatchObject({ user_metadata: {}, amr: [{ method: 'password', timestamp: plain.iat }] });
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
