import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../deps.js';
import { ARCHIVE_PREFIX } from '../domain/archive/archive-deps.js';
import { errors } from '../errors.js';
import type { MailOutbox } from '../mail/outbox.js';
import { mediaRoutes } from '../storage/media-route.js';
import { errorHandler } from './error-handler.js';
import { createRateLimitStore } from './rate-limit-store.js';
import { requestIdFor } from './request-id.js';
import { registerDevMail } from './routes/dev/mail.js';
import { securityHeaderValues, securityHeaders } from './security-headers.js';
import { registerRoutes } from './routes.js';
import type { App } from './types.js';

const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export interface AppOptions {
  /** The local storage driver's folder, served at /media (unset with the s3 driver). */
  mediaRoot?: string;
  /** The built web app, served at / (unset: API only). */
  webRoot?: string;
  /** The development outbox when it is the mail driver, shown at /dev/mail (never in production). */
  mailOutbox?: MailOutbox;
}

/** The whole HTTP application, given its dependencies. Used by main and by the tests. */
export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<App> {
  const requestTimeout = deps.config.REQUEST_TIMEOUT_MS;
  const app = Fastify({
    loggerInstance: deps.logger,
    requestIdHeader: false,
    genReqId: requestIdFor,
    // X-Forwarded-For only from the proxies the operator named: otherwise every client picks its own address.
    trustProxy: trustedProxies(deps.config.TRUST_PROXY),
    bodyLimit: 1024 * 1024,
    // A request must arrive whole in time, headers included: a sender trickling bytes is cut off with 408.
    requestTimeout,
    // Node checks those deadlines every 30 s by default, which would let a short one run long.
    http: { headersTimeout: Math.min(requestTimeout, 30_000), connectionsCheckingInterval: Math.min(5_000, Math.max(250, requestTimeout / 4)) },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    if (options.webRoot && isPageRequest(request.method, request.url)) return reply.sendFile('index.html', options.webRoot);
    return reply.status(404).send({ error: `Route ${request.method} ${request.url.split('?')[0]} not found`, code: 'not_found' });
  });
  app.decorateRequest('user', null);
  const headers = securityHeaderValues(securityHeaders(deps.config));
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers).header('x-request-id', request.id);
    done();
  });

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    // Counted in the database: the limits hold across instances, not once per instance.
    store: createRateLimitStore({ db: deps.db, clock: deps.clock, logger: deps.logger }),
    errorResponseBuilder: (_request, context) => errors.rateLimited(Math.ceil(context.ttl / 1000)),
  });
  await app.register(fastifyMultipart, {
    // Enforced while streaming: an oversized image is refused before it is ever whole in memory.
    limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 20, fieldSize: 16 * 1024, parts: 25 },
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'SimpleVideo API', version: '1.0.0', description: 'AI video generation with Kling models. See docs/ for deviations from the original contract.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          session: { type: 'apiKey', in: 'cookie', name: 'sv_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  // Its own page's policy (inline styles, data: images) in place of the app's.
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await registerRoutes(app, deps);
  if (options.mediaRoot && deps.storage.driver === 'local') {
    await app.register(mediaRoutes({ root: options.mediaRoot, publicPrefix: ARCHIVE_PREFIX }));
  }
  // The outbox holds other people's confirmation and reset links: production never serves it, whatever it is given.
  if (options.mailOutbox && deps.config.NODE_ENV !== 'production') registerDevMail(app, options.mailOutbox);
  if (options.webRoot) {
    await app.register(fastifyStatic, { root: options.webRoot, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  return app;
}

/** A hop count as the function proxy-addr makes of one (Fastify's types take no number). */
function trustedProxies(setting: false | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

/** Browser navigation to a page of the single-page app (not an API, media or development path): answered with index.html. */
function isPageRequest(method: string, url: string): boolean {
  return (method === 'GET' || method === 'HEAD') && !/^\/(api|media|dev)(\/|$)/.test(url) && url !== '/healthz' && url !== '/metrics';
}
