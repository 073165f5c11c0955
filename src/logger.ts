import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { Config } from './config.js';

const REDACTED = '[redacted]';

/** Headers that carry credentials, wherever a log line (or the smoke command's transcript) holds a request's or a reply's headers. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization'];
/** Fields that name a secret outright, at the top of a log line or one level down. */
const SECRET_FIELDS = ['token', 'callbackToken', 'callback_token', 'password', 'apiKey', 'secretKey', 'accessToken', 'access_token'];

const REDACT_PATHS = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `res.headers["${h}"]`, `headers["${h}"]`]),
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]),
  'req.params.token',
];

/** The callback URL carries the task's secret as its last segment: `/api/webhooks/<provider>/<token>`. */
const CALLBACK_TOKEN = /(\/api\/webhooks\/[^/?#\s]+\/)[^/?#\s]+/g;
/** Query parameters that carry credentials (`?token=…`, `&key=…`, signed-URL signatures). */
const SECRET_QUERY = /([?&](?:token|key|api_key|apikey|access_token|secret|signature|sig|x-amz-signature|x-amz-credential)=)[^&#\s]*/gi;

/** A URL, or text holding URLs, with the secrets it carries masked. */
export function maskSecretsInUrl(text: string): string {
  return text.replace(CALLBACK_TOKEN, `$1${REDACTED}`).replace(SECRET_QUERY, `$1${REDACTED}`);
}

/** Fastify's request summary (as its own serializer makes it), with the URL's secrets masked. */
function serializeRequest(req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : maskSecretsInUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Errors as pino serializes them, with URLs in their messages masked: a provider may quote our callback URL. */
function serializeError(error: Error) {
  const serialized: unknown = stdSerializers.err(error);
  // What is not an Error comes back as it was given (a string, a plain object): mask what can be masked.
  if (typeof serialized === 'string') return maskSecretsInUrl(serialized);
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const { message, stack } = serialized as { message?: unknown; stack?: unknown };
  return {
    ...serialized,
    ...(typeof message === 'string' && { message: maskSecretsInUrl(message) }),
    ...(typeof stack === 'string' && { stack: maskSecretsInUrl(stack) }),
  };
}

/** How log lines are written: one JSON object a line (what operators and log shippers read), or for a person. */
export type LogFormat = 'json' | 'pretty';

/**
 * Pretty lines only outside production and only when a person is watching (stdout is a terminal): production, and
 * any output going to a file, a pipe or a log collector, stay JSON.
 */
export function logFormatFor(nodeEnv: Config['NODE_ENV'] | undefined, stdoutIsTerminal: boolean): LogFormat {
  return nodeEnv !== 'production' && stdoutIsTerminal ? 'pretty' : 'json';
}

/** pino-pretty in the main thread (no worker): development volumes are small, and lines keep their order with stderr. */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  return pinoPretty({
    destination: destination ?? 1,
    sync: true,
    colorize: destination === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * JSON logs (pretty lines in development at a terminal, see logFormatFor); request logs carry the request id as
 * `reqId`. Secrets never reach them, in either format: credential headers and secret-named fields are redacted,
 * and URLs (the request's, and any in a message) have their tokens masked, so the callback token in
 * `/api/webhooks/…/<token>` is never written. `destination` defaults to stdout (tests capture it); `format` defaults
 * to JSON when a destination is given, else to logFormatFor(NODE_ENV, stdout is a terminal).
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'> & Partial<Pick<Config, 'NODE_ENV'>>,
  destination?: DestinationStream,
  format: LogFormat = destination ? 'json' : logFormatFor(config.NODE_ENV, process.stdout.isTTY === true),
): Logger {
  const options: LoggerOptions = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { req: serializeRequest, err: serializeError },
    hooks: {
      // Messages are free text, and Fastify's own name the URL (e.g. "Route POST:/… not found").
      logMethod(args, method) {
        const masked = args.map((a: unknown) => (typeof a === 'string' ? maskSecretsInUrl(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
  if (format === 'pretty') return pino(options, prettyStream(destination));
  return destination ? pino(options, destination) : pino(options);
}
