import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormatFor, maskSecretsInUrl, type LogFormat } from './logger.js';

function capture(format: LogFormat = 'json') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: 'info' }, stream, format), text: () => lines.join('') };
}

describe('maskSecretsInUrl', () => {
  it.each([
    ['/api/webhooks/kling/Zq9_secretToken-123', '/api/webhooks/kling/[redacted]'],
    ['/api/webhooks/302/Zq9_secretToken-123?x=1', '/api/webhooks/302/[redacted]?x=1'],
    ['https://video.example.com/api/webhooks/302/abc', 'https://video.example.com/api/webhooks/302/[redacted]'],
    ['/api/user/events?access_token=eyJhbGci&x=1', '/api/user/events?access_token=[redacted]&x=1'],
    ['/x?token=abc#frag', '/x?token=[redacted]#frag'],
    ['/x?a=1&key=abc&KEY=def', '/x?a=1&key=[redacted]&KEY=[redacted]'],
    ['https://cdn/v.mp4?X-Amz-Signature=abc&X-Amz-Expires=60', 'https://cdn/v.mp4?X-Amz-Signature=[redacted]&X-Amz-Expires=60'],
    ['/api/kling/5s?monkey=1', '/api/kling/5s?monkey=1'],
  ])('%s → %s', (url, masked) => {
    expect(maskSecretsInUrl(url)).toBe(masked);
  });

  it('masks URLs inside free text', () => {
    expect(maskSecretsInUrl('Route POST:/api/webhooks/kling/abc/def not found')).toBe('Route POST:/api/webhooks/kling/[redacted]/def not found');
  });
});

describe('createLogger', () => {
  it('redacts credential headers, secret fields and URLs in messages and errors', () => {
    const { logger, text } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer header-secret', cookie: 'sv_session=cookie-secret' } } }, 'with headers');
    logger.info({ headers: { 'x-api-key': 'api-key-secret' }, token: 'field-secret', task: { callbackToken: 'nested-secret' } }, 'fields');
    logger.warn('calling https://x.example/api/webhooks/302/message-secret');
    logger.error({ err: new Error('bad callback_url https://x.example/api/webhooks/kling/error-secret') }, 'provider refused');
    const out = text();
    for (const secret of ['header-secret', 'cookie-secret', 'api-key-secret', 'field-secret', 'nested-secret', 'message-secret', 'error-secret']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
    expect(out).toContain('provider refused');
  });

  it('logs errors that are not Errors as given, masked', () => {
    const { logger, text } = capture();
    logger.error({ err: 'failed at /api/webhooks/302/string-secret' }, 'a string');
    logger.error({ err: { code: 42 } }, 'an object');
    logger.error({ err: null }, 'nothing');
    const out = text();
    expect(out).not.toContain('string-secret');
    expect(out).toContain('"err":{"code":42}');
    expect(out).toContain('"err":null');
  });
});

describe('log format', () => {
  it.each([
    ['development', true, 'pretty'],
    ['development', false, 'json'],
    ['test', true, 'pretty'],
    [undefined, true, 'pretty'],
    ['production', true, 'json'],
    ['production', false, 'json'],
  ] as const)('NODE_ENV=%s, stdout a terminal: %s → %s', (nodeEnv, terminal, format) => {
    expect(logFormatFor(nodeEnv, terminal)).toBe(format);
  });

  it('writes pretty lines for a person, redacted as the JSON ones are', () => {
    const { logger, text } = capture('pretty');
    logger.info({ req: { headers: { authorization: 'Bearer pretty-secret' } }, taskId: 7 }, 'calling /api/webhooks/302/pretty-token');
    const out = text();
    expect(out).not.toMatch(/^\{/);
    expect(out).toMatch(/INFO.*calling \/api\/webhooks\/302\/\[redacted\]/);
    expect(out).toContain('taskId: 7');
    expect(out).not.toContain('pretty-secret');
    expect(out).not.toContain('pretty-token');
  });
});
