import { SECRET_HEADERS, maskSecretsInUrl } from '../logger.js';
import { parseJson, type FetchFn } from '../providers/http.js';

const REDACTED = '[redacted]';
/** Longer strings inside a JSON body (a base64 image) are shown by length only. */
const MAX_JSON_STRING = 200;
/** Longer answers are cut: a transcript is for reading. */
const MAX_ANSWER_CHARS = 4000;

/** Prints one line of the transcript. */
export type Print = (line: string) => void;

export interface Transcript {
  /** A fetch for the adapters that prints each request and its answer, secrets masked, then hands the answer on. */
  fetch: FetchFn;
  /** Every answer's JSON body so far (unparseable ones left out), oldest first. */
  answers: unknown[];
}

/**
 * Wraps `fetch` so every call an adapter makes is printed: method, URL, headers and body, then status, headers and
 * body of the answer. Credential headers are redacted as in the logs (SECRET_HEADERS), URLs masked
 * (maskSecretsInUrl), and each of `secrets` is replaced wherever it would appear, whatever carries it.
 */
export function createTranscript(options: { print: Print; secrets: readonly string[]; fetch?: FetchFn; now?: () => number }): Transcript {
  const inner = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const secrets = options.secrets.filter((s) => s.length > 0);
  const print: Print = (line) => options.print(redact(line, secrets));
  const answers: unknown[] = [];

  return {
    answers,
    async fetch(input, init) {
      print(`→ ${init.method ?? 'GET'} ${maskSecretsInUrl(input)}`);
      printHeaders(print, new Headers(init.headers));
      const body = describeBody(init.body);
      if (body) print(`  body: ${body}`);
      const started = now();
      let response: Response;
      try {
        response = await inner(input, init);
      } catch (error) {
        print(`← no answer after ${now() - started} ms: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
      const text = await response.text();
      print(`← ${response.status} ${response.statusText} (${now() - started} ms)`);
      printHeaders(print, response.headers);
      if (text) print(`  ${text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}… (${text.length} chars)` : text}`);
      const json = parseJson(text);
      if (json !== undefined) answers.push(json);
      // The adapter reads the body itself: hand it a fresh answer with the same text.
      const empty = response.status === 204 || response.status === 205 || response.status === 304;
      return new Response(empty ? null : text, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
  };
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((masked, secret) => masked.split(secret).join(REDACTED), maskSecretsInUrl(text));
}

function printHeaders(print: Print, headers: Headers): void {
  for (const [name, value] of headers) print(`  ${name}: ${SECRET_HEADERS.includes(name) ? REDACTED : value}`);
}

/** A request body as text: form fields with files as their facts, JSON with long strings shortened. */
function describeBody(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (body instanceof FormData) {
    const fields = [...body.entries()].map(([name, value]) =>
      typeof value === 'string' ? `${name}=${JSON.stringify(value)}` : `${name}=<file ${value.name}, ${value.type}, ${value.size} bytes>`,
    );
    return `multipart/form-data ${fields.join(' ')}`;
  }
  if (typeof body === 'string') {
    const json = parseJson(body);
    return json === undefined ? body : JSON.stringify(json, (_key, value: unknown) => shorten(value));
  }
  return '<binary body>';
}

function shorten(value: unknown): unknown {
  return typeof value === 'string' && value.length > MAX_JSON_STRING ? `<${value.length} chars>` : value;
}
