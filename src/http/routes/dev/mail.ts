import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errors } from '../../../errors.js';
import type { MailOutbox } from '../../../mail/outbox.js';
import { isLoopbackPeer } from '../../loopback.js';
import { securityHeaderValues } from '../../security-headers.js';
import type { App } from '../../types.js';
import { renderMail, renderMailList } from './mail-pages.js';

/** Messages the list shows; older ones stay in DATA_DIR/mail and by their own address. */
const LIST_LIMIT = 100;

/** These pages' own policy in place of the app's: their inline style, nothing else loaded, never framed. */
const pageHeaders = securityHeaderValues({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], styleSrc: ["'unsafe-inline'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
  },
});

/**
 * A message's HTML part is shown as its own document, sandboxed: no script runs and it is no origin of ours, so a
 * template (or an address someone signed up with) cannot reach the session cookie. Its links still navigate.
 */
const htmlPartHeaders = securityHeaderValues({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      sandbox: ['allow-popups', 'allow-popups-to-escape-sandbox'],
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ['data:', 'https:'],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
});

const params = z.object({ id: z.string().max(64) });

function assertLocal(request: FastifyRequest): void {
  if (!isLoopbackPeer(request)) throw errors.devMailLocalOnly();
}

/**
 * The development outbox in the browser: `GET /dev/mail` lists what the service would have mailed, newest first,
 * with the links in each message; `GET /dev/mail/:id` shows one. Registered only outside production, and only when
 * the outbox is the mail driver (buildApp decides). The messages hold confirmation and reset links and there is no
 * sign-in: only callers on this machine are answered (the development server listens on every interface).
 */
export function registerDevMail(app: App, outbox: MailOutbox): void {
  app.get('/dev/mail', { onRequest: async (request) => assertLocal(request), schema: { hide: true } }, async (_request, reply) => {
    const messages = await outbox.list(LIST_LIMIT);
    return reply.headers(pageHeaders).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderMailList(messages));
  });

  app.get('/dev/mail/:id', { onRequest: async (request) => assertLocal(request), schema: { hide: true, params } }, async (request, reply) => {
    const message = await outbox.read(request.params.id);
    if (message === undefined) throw errors.notFound('No such message in the outbox');
    return reply.headers(pageHeaders).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderMail(message));
  });

  app.get('/dev/mail/:id/html', { onRequest: async (request) => assertLocal(request), schema: { hide: true, params } }, async (request, reply) => {
    const message = await outbox.read(request.params.id);
    if (message?.html === undefined) throw errors.notFound('No such message, or it has no HTML part');
    return reply.headers(htmlPartHeaders).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(message.html);
  });
}
