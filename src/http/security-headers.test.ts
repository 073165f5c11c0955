import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

const directivesOf = (options: ReturnType<typeof securityHeaders>) =>
  (options.contentSecurityPolicy as { directives: Record<string, string[]> }).directives;

describe('securityHeaders', () => {
  it('in production: HSTS, the storage origin for images and media, no plain http', () => {
    const options = securityHeaders({ NODE_ENV: 'production', PROVIDER_SIMULATOR: false, S3_PUBLIC_URL: 'http://media.example.test/bucket' });
    expect(options.hsts).toMatchObject({ maxAge: 31_536_000, includeSubDomains: true });
    const directives = directivesOf(options);
    expect(directives.mediaSrc).toEqual(expect.arrayContaining(["'self'", 'http://media.example.test']));
    expect(directives.imgSrc).toContain('http://media.example.test');
    expect(directives.mediaSrc).not.toContain('http:');
    expect(directives.scriptSrc).toEqual(["'self'"]);
  });

  it('with the simulator: its plain-http results may play; no HSTS outside production', () => {
    const options = securityHeaders({ NODE_ENV: 'development', PROVIDER_SIMULATOR: true, S3_PUBLIC_URL: undefined });
    expect(options.hsts).toBe(false);
    expect(directivesOf(options).mediaSrc).toContain('http:');
  });
});
