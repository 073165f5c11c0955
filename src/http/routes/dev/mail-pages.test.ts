import { describe, expect, it } from 'vitest';
import { escapeHtml, linkify } from './mail-pages.js';

describe('linkify', () => {
  it('makes each http(s) address a link, leaving a sentence’s closing punctuation out', () => {
    expect(linkify('Confirm: https://video.example.com/confirm?token=a&b=1. Or http://localhost:3000/x), then.')).toBe(
      'Confirm: <a href="https://video.example.com/confirm?token=a&#38;b=1">https://video.example.com/confirm?token=a&#38;b=1</a>. ' +
        'Or <a href="http://localhost:3000/x">http://localhost:3000/x</a>), then.',
    );
  });

  it('escapes everything else and links nothing but http(s)', () => {
    expect(linkify('<b>hi</b> javascript:alert(1) "x"')).toBe('&#60;b&#62;hi&#60;/b&#62; javascript:alert(1) &#34;x&#34;');
  });

  it('ends an address at a quote or an angle bracket, so it cannot break out of the attribute', () => {
    expect(linkify('<https://a.example/"onmouseover="x>')).toBe(
      '&#60;<a href="https://a.example/">https://a.example/</a>&#34;onmouseover=&#34;x&#62;',
    );
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
  });
});
