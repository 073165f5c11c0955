import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A key pair as Supabase Auth holds one: the private key signs, the public JWK is published in the JWKS. */
export interface SigningKey {
  alg: 'ES256' | 'RS256';
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createSigningKey(alg: SigningKey['alg'], kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A small stand-in for a project's Supabase Auth on a loopback port: the JWKS at
 * /auth/v1/.well-known/jwks.json and the password grant at POST /auth/v1/token?grant_type=password.
 */
export interface SupabaseAuthStandIn {
  /** The project URL, e.g. http://127.0.0.1:54321 (so its cookie is `sb-127-auth-token`). */
  url: string;
  /** Replaces the published keys (a key rotation). */
  publish(keys: readonly SigningKey[]): void;
  /** How many times the JWKS was fetched. */
  readonly jwksFetches: number;
  /** The session the next password sign-in answers with. */
  sessionForSignIn: Record<string, unknown> | undefined;
  close(): Promise<void>;
}

export async function startSupabaseAuth(keys: readonly SigningKey[] = []): Promise<SupabaseAuthStandIn> {
  let published = [...keys];
  let jwksFetches = 0;
  const standIn: SupabaseAuthStandIn = {
    url: '',
    publish(next) {
      published = [...next];
    },
    get jwksFetches() {
      return jwksFetches;
    },
    sessionForSignIn: undefined,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/auth/v1/.well-known/jwks.json') {
      jwksFetches++;
      return send(200, { keys: published.map((k) => k.publicJwk) });
    }
    if (req.method === 'POST' && req.url === '/auth/v1/token?grant_type=password') {
      req.resume();
      return req.on('end', () =>
        standIn.sessionForSignIn ? send(200, standIn.sessionForSignIn) : send(400, { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' }),
      );
    }
    send(404, { message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standIn;
}

export interface SupabaseUser {
  id: string;
  email: string;
  phone?: string;
  userMetadata?: Record<string, unknown>;
}

/** The full claim set Supabase Auth puts in an access token. */
export function supabaseClaims(projectUrl: string, user: SupabaseUser, options: { sessionId?: string; ttlSeconds?: number } = {}) {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: `${projectUrl}/auth/v1`,
    aud: 'authenticated',
    role: 'authenticated',
    sub: user.id,
    email: user.email,
    phone: user.phone ?? '',
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: { email: user.email, email_verified: true, phone_verified: false, sub: user.id, ...user.userMetadata },
    aal: 'aal1',
    amr: [{ method: 'password', timestamp: iat }],
    session_id: options.sessionId ?? randomUUID(),
    is_anonymous: false,
    iat,
    exp: iat + (options.ttlSeconds ?? 3600),
  };
}

/** Signs claims as Supabase Auth does: the key's alg, its kid in the header. */
export function signWith(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

/** The body of Supabase Auth's answer to a password sign-in. */
export function signInSession(accessToken: string, user: SupabaseUser) {
  const now = new Date().toISOString();
  const expiresIn = 3600;
  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: expiresIn,
    expires_at: Math.floor(Date.now() / 1000) + expiresIn,
    refresh_token: randomUUID().replaceAll('-', '').slice(0, 12),
    user: {
      id: user.id,
      aud: 'authenticated',
      role: 'authenticated',
      email: user.email,
      email_confirmed_at: now,
      phone: user.phone ?? '',
      confirmed_at: now,
      last_sign_in_at: now,
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { email: user.email, email_verified: true, phone_verified: false, sub: user.id, ...user.userMetadata },
      identities: [],
      created_at: now,
      updated_at: now,
      is_anonymous: false,
    },
  };
}
