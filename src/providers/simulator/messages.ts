import type { IncomingHttpHeaders } from 'node:http';

/** An API request, read in full before routing. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  contentType: string;
  body: Buffer;
}

/** An API reply as data, so fault injection can replace or delay it before it is written. */
export interface SimReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What the simulator remembers of each API request, for tests to inspect. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Query parameters, e.g. 302's `geo`. */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or form fields (files as `{filename, type, size}`), or undefined for an empty body. */
  body: unknown;
  at: number;
}

export function reply(status: number, body: unknown, headers?: Record<string, string>): SimReply {
  return headers ? { status, body, headers } : { status, body };
}

/** Reads a JSON body; undefined when it is not JSON. */
export function readJsonBody(request: SimRequest): unknown {
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A form field as the simulator keeps it: text, or the facts about an uploaded file. */
export type FormValue = string | { filename: string; type: string; size: number };

/** Parses multipart or urlencoded bodies with undici's own parser; undefined when the body is not a form. */
export async function readFormBody(request: SimRequest): Promise<Record<string, FormValue> | undefined> {
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(request.contentType)) return undefined;
  try {
    const form = await new Request('http://simulator.local/', {
      method: 'POST',
      headers: { 'content-type': request.contentType },
      body: new Uint8Array(request.body),
    }).formData();
    const fields: Record<string, FormValue> = {};
    for (const [name, value] of form.entries()) {
      fields[name] = typeof value === 'string' ? value : { filename: value.name, type: value.type, size: value.size };
    }
    return fields;
  } catch {
    return undefined;
  }
}

/** The first issue of a zod error as one line, the way the real APIs name the offending field. */
export function describeIssue(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  const issue = issues[0];
  if (!issue) return 'invalid request';
  const field = issue.path.map(String).join('.');
  return field ? `${field}: ${issue.message}` : issue.message;
}
