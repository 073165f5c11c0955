import type { FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import type { EmailTokenPurpose } from '../../../db/queries/email-tokens.js';
import type { MailStyle } from '../../../domain/email-codes.js';
import { errors } from '../../../errors.js';
import { linkOriginOf } from '../auth/mail-links.js';

/** The verification type Supabase Auth names each of our token purposes by in its links. */
export type VerifyType = 'signup' | 'recovery' | 'magiclink' | 'email_change';

/**
 * Where a mailed link may send the browser after /auth/v1/verify: `redirect_to` when it is on the site's own origin
 * (PUBLIC_URL's, or outside production the request's), else the site's root, as Supabase Auth falls back to its
 * SITE_URL. Never another origin: that would be an open redirect carrying a session.
 */
export function allowedRedirect(config: Pick<Config, 'PUBLIC_URL' | 'NODE_ENV'>, request: FastifyRequest, redirectTo: string | undefined): string {
  const site = linkOriginOf(config, request);
  if (!site) throw errors.mailUnavailable();
  if (redirectTo && URL.canParse(redirectTo) && new URL(redirectTo).origin === site) return new URL(redirectTo).href;
  return `${site}/`;
}

/**
 * Mails for Supabase Auth's clients: a link to `/auth/v1/verify` on the site, as Supabase Auth writes them
 * (`?token=…&type=…&redirect_to=…`), and a 6-digit code beside it for verifyOtp. `type` overrides the purpose's own
 * (a sign-in link is `magiclink`, on a recovery token as in Supabase Auth).
 */
export function verifyLinkStyle(
  config: Pick<Config, 'PUBLIC_URL' | 'NODE_ENV'>,
  request: FastifyRequest,
  redirectTo: string | undefined,
  type?: VerifyType,
): MailStyle {
  const site = linkOriginOf(config, request);
  if (!site) throw errors.mailUnavailable();
  const redirect = allowedRedirect(config, request, redirectTo);
  const TYPE: Record<EmailTokenPurpose, VerifyType> = { confirm: 'signup', recover: 'recovery', email_change: 'email_change' };
  return {
    withCode: true,
    link: (token, purpose) => {
      const query = new URLSearchParams({ token, type: type ?? TYPE[purpose], redirect_to: redirect });
      return `${site}/auth/v1/verify?${query}`;
    },
  };
}
