import { describe, expect, it } from 'vitest';
import { resultUrlProblem } from './result-url.js';

describe('resultUrlProblem', () => {
  it('accepts https always, and http only where the simulator may run', () => {
    expect(resultUrlProblem('https://cdn.klingai.com/v/1.mp4', false)).toBeUndefined();
    expect(resultUrlProblem('http://127.0.0.1:4010/files/1.mp4', true)).toBeUndefined();
    expect(resultUrlProblem('http://cdn.example/v/1.mp4', false)).toBe('scheme http: is not accepted (https only)');
  });

  it.each(['javascript:alert(document.cookie)', 'JavaScript:alert(1)', 'data:text/html,<script>1</script>', 'file:///etc/passwd', 'ftp://x/v.mp4', 'vbscript:x'])(
    'refuses %s even where http is allowed',
    (url) => {
      expect(resultUrlProblem(url, true)).toMatch(/is not accepted/);
    },
  );

  it('refuses what is not an absolute URL', () => {
    expect(resultUrlProblem('/files/1.mp4', true)).toBe('not an absolute URL');
    expect(resultUrlProblem('', true)).toBe('not an absolute URL');
  });
});
