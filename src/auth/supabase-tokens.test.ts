import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningKey, signWith, startSupabaseAuth, supabaseClaims, type SigningKey, type SupabaseAuthStandIn } from '../../test/helpers/supabase-auth.js';
import { createSupabaseTokenVerifier } from './supabase-tokens.js';

const LEGACY_SECRET = 'legacy-project-secret-legacy-project-secret';
const user = { id: randomUUID(), email: 'ada@example.com' };

let auth: SupabaseAuthStandIn;
let es256: SigningKey;
let rs256: SigningKey;
beforeAll(async () => {
  [es256, rs256] = await Promise.all([createSigningKey('ES256'), createSigningKey('RS256')]);
  auth = await startSupabaseAuth([es256, rs256]);
});
afterAll(() => auth.close());

const verifier = (options: { legacySecret?: string; jwksCooldownMs?: number; now?: () => number } = {}) =>
  createSupabaseTokenVerifier({ supabaseUrl: auth.url, jwksTimeoutMs: 2000, ...options });
const claims = (overrides: Record<string, unknown> = {}) => ({ ...supabaseClaims(auth.url, user), ...overrides });
const hs256 = (secret: string | Uint8Array, body: Record<string, unknown> = claims()) =>
  new SignJWT(body).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);

describe('Supabase access tokens', () => {
  it.each(['ES256', 'RS256'] as const)('accepts %s with a key of the project JWKS', async (alg) => {
    const token = await signWith(alg === 'ES256' ? es256 : rs256, claims());
    expect(await verifier().verify(token)).toEqual(user);
  });

  it('accepts a phone user without an email, as email ""', async () => {
    const { email: _email, ...withoutEmail } = claims();
    expect(await verifier().verify(await signWith(es256, withoutEmail))).toEqual({ id: user.id, email: '' });
    expect(await verifier().verify(await signWith(es256, claims({ email: '', phone: '15550100' })))).toEqual({ id: user.id, email: '' });
  });

  it('fetches the JWKS again for an unknown kid, and refuses the keys it no longer publishes', async () => {
    const first = await createSigningKey('ES256');
    const rotated = await createSigningKey('ES256');
    const rotation = await startSupabaseAuth([first]);
    try {
      const tokens = createSupabaseTokenVerifier({ supabaseUrl: rotation.url, jwksCooldownMs: 0 });
      const claimsHere = supabaseClaims(rotation.url, user);
      expect(await tokens.verify(await signWith(first, claimsHere))).toEqual(user);
      expect(rotation.jwksFetches).toBe(1);
      rotation.publish([rotated]);
      expect(await tokens.verify(await signWith(rotated, claimsHere))).toEqual(user);
      expect(rotation.jwksFetches).toBe(2);
      expect(await tokens.verify(await signWith(first, { ...claimsHere, session_id: randomUUID() }))).toBeNull();
    } finally {
      await rotation.close();
    }
  });

  it('does not let unknown kids make it fetch the JWKS more than once per cooldown', async () => {
    const tokens = verifier();
    expect(await tokens.verify(await signWith(es256, claims()))).toEqual(user);
    const before = auth.jwksFetches;
    for (let i = 0; i < 3; i++) {
      const stranger = await createSigningKey('ES256');
      expect(await tokens.verify(await signWith(stranger, claims()))).toBeNull();
    }
    expect(auth.jwksFetches).toBe(before);
  });

  it('forgets a cached token once it expires', async () => {
    let now = Date.now();
    const tokens = verifier({ now: () => now });
    const token = await signWith(es256, claims());
    expect(await tokens.verify(token)).toEqual(user);
    now += 3601_000;
    expect(await tokens.verify(token)).toBeNull();
  });

  it.each([
    ['of another issuer', () => signWith(es256, claims({ iss: 'https://other.supabase.co/auth/v1' }))],
    ['of the project URL without /auth/v1', () => signWith(es256, claims({ iss: auth.url }))],
    ['without an issuer', () => signWith(es256, claims({ iss: undefined }))],
    ['for the anon audience', () => signWith(es256, claims({ aud: 'anon' }))],
    ['of the service role', () => signWith(es256, claims({ role: 'service_role' }))],
    ['of the anon role', () => signWith(es256, claims({ role: 'anon' }))],
    ['without exp', () => signWith(es256, claims({ exp: undefined }))],
    ['expired', () => signWith(es256, claims({ exp: Math.floor(Date.now() / 1000) - 60 }))],
    ['with a sub that is no uuid', () => signWith(es256, claims({ sub: 'ada' }))],
    ['unsigned (alg none)', async () => new UnsecuredJWT(claims()).encode()],
    ['signed by a key of the same kid that the project does not hold', async () => signWith({ ...(await createSigningKey('ES256')), kid: es256.kid }, claims())],
    ['HS256 without a legacy secret configured', () => hs256(LEGACY_SECRET)],
    ['garbage', async () => 'not.a.token'],
  ])('refuses a token %s', async (_name, make) => {
    expect(await verifier().verify(await make())).toBeNull();
  });

  it('refuses an HS256 token signed with a public key (algorithm confusion), legacy secret configured or not', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    for (const key of [pem, new TextEncoder().encode(JSON.stringify(rs256.publicJwk))]) {
      const token = await hs256(key);
      expect(await verifier().verify(token)).toBeNull();
      expect(await verifier({ legacySecret: LEGACY_SECRET }).verify(token)).toBeNull();
    }
    const confused = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: rs256.kid }).sign(new TextEncoder().encode(JSON.stringify(rs256.publicJwk)));
    expect(await verifier({ legacySecret: LEGACY_SECRET }).verify(confused)).toBeNull();
  });

  it('accepts HS256 with the legacy secret only when it is configured, and still checks the claims', async () => {
    const token = await hs256(LEGACY_SECRET);
    expect(await verifier({ legacySecret: LEGACY_SECRET }).verify(token)).toEqual(user);
    expect(await verifier().verify(token)).toBeNull();
    expect(await verifier({ legacySecret: LEGACY_SECRET }).verify(await hs256('another-secret-another-secret-another-0'))).toBeNull();
    expect(await verifier({ legacySecret: LEGACY_SECRET }).verify(await hs256(LEGACY_SECRET, claims({ iss: 'https://evil.example/auth/v1' })))).toBeNull();
    expect(await verifier({ legacySecret: LEGACY_SECRET }).verify(await signWith(es256, claims()))).toEqual(user);
  });

  it('answers 503 identity_provider_unavailable, not "no user", when the JWKS cannot be fetched', async () => {
    const gone = await startSupabaseAuth();
    await gone.close();
    const tokens = createSupabaseTokenVerifier({ supabaseUrl: gone.url, jwksTimeoutMs: 2000 });
    await expect(tokens.verify(await signWith(es256, supabaseClaims(gone.url, user)))).rejects.toMatchObject({
      status: 503,
      code: 'identity_provider_unavailable',
    });
  });
});
