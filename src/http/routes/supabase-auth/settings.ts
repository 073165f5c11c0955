import { z } from 'zod';
import type { App } from '../../types.js';

/** Every provider Supabase Auth's settings name (internal/api/settings.go); only email is offered here. */
const PROVIDERS = [
  'anonymous_users', 'apple', 'azure', 'bitbucket', 'discord', 'facebook', 'snapchat', 'figma', 'fly', 'github', 'gitlab',
  'google', 'keycloak', 'kakao', 'linkedin', 'linkedin_oidc', 'notion', 'spotify', 'slack', 'slack_oidc', 'workos', 'twitch',
  'twitter', 'email', 'phone', 'zoom',
] as const;

const settingsBody = z.object({
  external: z.record(z.string(), z.boolean()),
  disable_signup: z.boolean(),
  mailer_autoconfirm: z.boolean(),
  phone_autoconfirm: z.boolean(),
  sms_provider: z.string(),
  saml_enabled: z.boolean(),
  saml_private_key_next_configured: z.boolean(),
  passkeys_enabled: z.boolean(),
});

/**
 * `GET /auth/v1/settings`: email only; signup open; addresses not confirmed automatically (a mailed link or code
 * confirms them, though signing in does not wait for it).
 */
export function registerAuthSettings(app: App): void {
  const external = Object.fromEntries(PROVIDERS.map((p) => [p, p === 'email']));
  app.get('/settings', {
    schema: { tags: ['auth/v1'], summary: 'Supabase Auth: which sign-in methods this server offers', response: { 200: settingsBody } },
    handler: async () => ({
      external,
      disable_signup: false,
      mailer_autoconfirm: false,
      phone_autoconfirm: false,
      sms_provider: '',
      saml_enabled: false,
      saml_private_key_next_configured: false,
      passkeys_enabled: false,
    }),
  });
}
