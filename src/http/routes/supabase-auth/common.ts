import { z } from 'zod';
import { MAX_PASSWORD_BYTES, passwordFitsBcrypt } from '../../../auth/password.js';
import { AppError } from '../../../errors.js';
import { authErrors } from './errors.js';

/** Error bodies of /auth/v1: `{code, message}` (API version 2024-01-01) or `{code, error_code, msg}` before. */
export const authErrorBody = z.union([
  z.object({ code: z.string(), message: z.string() }).loose(),
  z.object({ code: z.number(), error_code: z.string(), msg: z.string() }).loose(),
]);

/** supabase-js sends these beside the fields; PKCE's are refused where they are not null (authErrors.pkceNotOffered). */
export const clientExtras = {
  gotrue_meta_security: z.unknown().optional(),
  code_challenge: z.string().nullish(),
  code_challenge_method: z.string().nullish(),
};

export const redirectQuery = z.object({ redirect_to: z.string().max(2048).optional() });

export const userMetadata = z.record(z.string(), z.unknown());

/** A new password, as our own signup takes it; refused with Supabase Auth's weak_password (422). */
export function checkNewPassword(password: string): void {
  if (password.length < 8) throw authErrors.weakPassword('Password should be at least 8 characters.');
  if (!passwordFitsBcrypt(password)) throw authErrors.weakPassword(`Password should be at most ${MAX_PASSWORD_BYTES} bytes.`);
}

export function refusePkce(body: { code_challenge?: string | null | undefined }): void {
  if (body.code_challenge) throw authErrors.pkceNotOffered();
}

/** The mail limits' 429, in Supabase Auth's words for mails. */
export async function asEmailSend<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.code === 'rate_limited') throw authErrors.emailRateLimit(Number(error.details?.retry_after_seconds ?? 60));
    throw error;
  }
}
