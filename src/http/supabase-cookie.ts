import { z } from 'zod';

/**
 * The session cookie @supabase/ssr writes: `sb-<ref>-auth-token`, where `<ref>` is the first label of the
 * project URL's host (supabase-js's default storage key).
 */
export function supabaseAuthCookieName(supabaseUrl: string): string {
  return `sb-${new URL(supabaseUrl).hostname.split('.')[0]}-auth-token`;
}

const BASE64_PREFIX = 'base64-';
const sessionJson = z.object({ access_token: z.string().min(1) });

/**
 * The access token of the Supabase session cookie `name`, or undefined when there is none or it is malformed.
 * @supabase/ssr writes `base64-` + base64url of the session JSON (older versions: the JSON itself), split into
 * `name.0`, `name.1`, … when too long for one cookie.
 */
export function readSupabaseAccessToken(cookies: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = cookies[name] ?? joinChunks(cookies, name);
  if (!value) return undefined;
  const json = value.startsWith(BASE64_PREFIX) ? Buffer.from(value.slice(BASE64_PREFIX.length), 'base64url').toString('utf8') : value;
  try {
    const session = sessionJson.safeParse(JSON.parse(json));
    return session.success ? session.data.access_token : undefined;
  } catch {
    return undefined;
  }
}

/** The chunks in order, up to the first missing index, as @supabase/ssr reads them back. */
function joinChunks(cookies: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  let joined = '';
  for (let i = 0; cookies[`${name}.${i}`]; i++) joined += cookies[`${name}.${i}`];
  return joined || undefined;
}
