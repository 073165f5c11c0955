import type { OutboxMessage } from '../../../mail/outbox.js';

/** The http(s) addresses in a plain-text body, up to the first space or quote (as mail clients find them). */
const LINK = /https?:\/\/[^\s<>"']+/g;
/** A sentence's closing punctuation, which is not part of the address before it. */
const TRAILING = /[.,;:!?)\]]+$/;

function findLinks(text: string): Array<{ index: number; url: string }> {
  return [...text.matchAll(LINK)].map((match) => ({ index: match.index, url: match[0].replace(TRAILING, '') }));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Plain text as HTML, each http(s) address a link a person can follow from the page. */
export function linkify(text: string): string {
  let html = '';
  let last = 0;
  for (const { index, url } of findLinks(text)) {
    html += `${escapeHtml(text.slice(last, index))}<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = index + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:1rem}dt{font-weight:600}dd{margin:0 0 .4rem}.note{color:#666}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

const NOTE = '<p class="note">Development outbox: mail this service would have sent, kept in DATA_DIR/mail. Not served in production.</p>';

/** The outbox's newest messages, each with the links in its text, so a confirmation can be followed in one click. */
export function renderMailList(messages: OutboxMessage[]): string {
  const rows = messages.map((m) => {
    const links = [...new Set(findLinks(m.text).map((link) => link.url))];
    return `<tr><td>${escapeHtml(m.sentAt)}</td><td>${escapeHtml(m.to)}</td>
<td><a href="/dev/mail/${m.id}">${escapeHtml(m.subject)}</a></td>
<td>${links.map((url) => `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`).join('<br>')}</td></tr>`;
  });
  const table = rows.length === 0
    ? '<p>No mail yet.</p>'
    : `<table><thead><tr><th>sent</th><th>to</th><th>subject</th><th>links</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  return page('Outbox', `<h1>Outbox</h1>${NOTE}${table}`);
}

/** One message: its headers and its text with clickable links; the HTML part, if any, one click further. */
export function renderMail(m: OutboxMessage): string {
  const html = m.html === undefined ? '' : `<p><a href="/dev/mail/${m.id}/html">The HTML part, as a mail client shows it</a></p>`;
  return page(
    m.subject,
    `<p><a href="/dev/mail">← Outbox</a></p><h1>${escapeHtml(m.subject)}</h1>
<dl><dt>From</dt><dd>${escapeHtml(m.from)}</dd><dt>To</dt><dd>${escapeHtml(m.to)}</dd><dt>Sent</dt><dd>${escapeHtml(m.sentAt)}</dd></dl>
<pre>${linkify(m.text)}</pre>${html}`,
  );
}
