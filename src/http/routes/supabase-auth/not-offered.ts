import { z } from 'zod';
import type { App } from '../../types.js';
import { authErrorBody } from './common.js';
import { authErrors } from './errors.js';

const FACTOR_ERRORS = {
  totp: ['mfa_totp_enroll_not_enabled', 'TOTP'],
  phone: ['mfa_phone_enroll_not_enabled', 'Phone'],
  webauthn: ['mfa_webauthn_enroll_not_enabled', 'WebAuthn'],
} as const;

/**
 * The parts of Supabase Auth's API not offered here, answered in its own words: OAuth providers (`/authorize`, as
 * with every provider disabled), MFA (`/factors`, as with enrollment disabled). Everything else under /auth/v1 that
 * is not offered (SSO, identities, passkeys, admin, invite…) answers the scope's not-found: 404 feature_disabled.
 */
export function registerAuthNotOffered(app: App): void {
  app.get('/authorize', {
    schema: { tags: ['auth/v1'], summary: 'Supabase Auth: OAuth sign-in (not offered: no provider is enabled)', response: { 400: authErrorBody } },
    handler: async () => {
      throw authErrors.providerNotEnabled();
    },
  });
  app.post('/factors', {
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: MFA enrollment (not offered)',
      body: z.object({ factor_type: z.string().optional() }).loose().nullish(),
      response: { 422: authErrorBody },
    },
    handler: async (request) => {
      const type = request.body?.factor_type;
      const [code, kind] = type === 'phone' || type === 'webauthn' ? FACTOR_ERRORS[type] : FACTOR_ERRORS.totp;
      throw authErrors.mfaDisabled(code, kind);
    },
  });
}
