import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Config } from '../config.js';

/**
 * The headers every answer carries (@fastify/helmet): nosniff, no referrer beyond our origin, no framing, HSTS in
 * production, and a Content-Security-Policy that lets the web app load its own scripts and styles and nothing else.
 * Images and videos may also come from our storage's public URL and, until a result is archived, from the provider's
 * https address; in development, from the built-in simulator's plain-http one. Media cannot run script.
 */
export function securityHeaders(config: Pick<Config, 'NODE_ENV' | 'S3_PUBLIC_URL' | 'PROVIDER_SIMULATOR'>): FastifyHelmetOptions {
  const storage = config.S3_PUBLIC_URL ? [new URL(config.S3_PUBLIC_URL).origin] : [];
  const media = ["'self'", 'blob:', 'https:', ...storage, ...(config.PROVIDER_SIMULATOR ? ['http:'] : [])];
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: [...media, 'data:'],
        mediaSrc: media,
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    hsts: config.NODE_ENV === 'production' ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  };
}
