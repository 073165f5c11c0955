import { errors, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { TaskKind } from '../video-provider.js';
import { capabilityProblem } from './kling-capabilities.js';
import { describeIssue, readJsonBody, reply, type SimReply, type SimRequest } from './messages.js';
import { createTask, mediaUrls, phaseOf, SIMULATED_FAILURE_REASON, type SimContext, type SimPhase, type SimTask } from './tasks.js';

const STATUS: Readonly<Record<SimPhase, string>> = { submitted: 'submitted', processing: 'processing', succeeded: 'succeed', failed: 'failed' };
const KIND_BY_PATH: Readonly<Record<string, TaskKind>> = { text2video: 't2v', image2video: 'i2v' };

/** Kling's error envelope (providers.md §2.7). */
export function klingError(status: number, code: number, message: string, headers?: Record<string, string>): SimReply {
  return reply(status, { code, message, request_id: randomUUID() }, headers);
}

const axis = z.number().min(-10).max(10).default(0);
const cameraSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('simple'),
    config: z
      .object({ horizontal: axis, vertical: axis, pan: axis, tilt: axis, roll: axis, zoom: axis })
      .refine((c) => Object.values(c).filter((v) => v !== 0).length === 1, 'exactly one of the six axes must be non-zero'),
  }),
  z.object({ type: z.enum(['down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward']), config: z.undefined({ error: 'only the simple type takes a config' }).optional() }),
]);

const commonFields = {
  model_name: z.string().regex(/^kling-/, 'unknown model').optional(),
  negative_prompt: z.string().max(2500).optional(),
  cfg_scale: z.number().min(0).max(1).optional(),
  mode: z.enum(['std', 'pro']).optional(),
  // Kling answers 400 for `duration: 5`; it must be the string.
  duration: z.enum(['5', '10'], { error: 'must be the string "5" or "10"' }).optional(),
  camera_control: cameraSchema.optional(),
  callback_url: z.url().optional(),
  external_task_id: z.string().min(1).optional(),
};
const base64Image = z
  .string()
  .min(1)
  .refine((s) => !s.startsWith('data:'), 'base64 must not carry a data: prefix')
  .refine((s) => /^https?:\/\//.test(s) || /^[A-Za-z0-9+/]+={0,2}$/.test(s), 'must be base64 or a URL');

const t2vSchema = z.object({ ...commonFields, prompt: z.string().min(1).max(2500), aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional() });
// Stricter than Kling, which probably ignores it: an aspect_ratio on I2V means the adapter misread the schema.
const i2vSchema = z.object({
  ...commonFields,
  prompt: z.string().max(2500).optional(),
  image: base64Image,
  image_tail: base64Image.optional(),
  aspect_ratio: z.undefined({ error: 'is not a field of image2video' }).optional(),
});

type AuthFailure = { code: number; message: string };

/** Verifies the Bearer JWT like Kling: HS256 with the secret key, `iss` = access key, `exp`/`nbf` checked. */
async function authenticate(request: SimRequest, accessKey: string, secret: Uint8Array, now: number): Promise<AuthFailure | undefined> {
  const header = request.headers.authorization;
  if (!header) return { code: 1001, message: 'Authorization is empty' };
  const token = /^Bearer (\S+)$/.exec(header)?.[1];
  if (!token) return { code: 1002, message: 'Authorization is invalid' };
  try {
    await jwtVerify(token, secret, { algorithms: ['HS256'], issuer: accessKey, requiredClaims: ['exp'], currentDate: new Date(now) });
    return undefined;
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { code: 1004, message: 'Authorization is expired' };
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') return { code: 1003, message: 'Authorization is not yet valid' };
    return { code: 1002, message: 'Authorization is invalid' };
  }
}

/** The task object: `data` of a query reply, and the whole (unenveloped) body of a callback. */
export function renderKlingTask(context: SimContext, task: SimTask): Record<string, unknown> {
  const phase = phaseOf(task, context);
  return {
    task_id: task.id,
    task_status: STATUS[phase],
    task_status_msg: phase === 'failed' ? SIMULATED_FAILURE_REASON : '',
    task_info: task.externalTaskId === undefined ? {} : { external_task_id: task.externalTaskId },
    created_at: task.createdAt,
    updated_at: context.now(),
    ...(phase === 'succeeded' ? { final_unit_deduction: '1' } : {}),
    task_result: phase === 'succeeded' ? { videos: [{ id: `v-${task.id}`, url: mediaUrls(context, task).video, duration: '1.0' }] } : {},
  };
}

function create(context: SimContext, request: SimRequest, kind: TaskKind): SimReply {
  const json = readJsonBody(request);
  if (json === undefined) return klingError(400, 1200, 'Request body must be JSON');
  const parsed = (kind === 't2v' ? t2vSchema : i2vSchema).safeParse(json);
  if (!parsed.success) return klingError(400, 1201, describeIssue(parsed.error.issues));
  const body = parsed.data;
  const problem = capabilityProblem(kind, body);
  if (problem) return klingError(400, 1201, problem);
  // Unique per account, whichever kind of task holds it.
  if (body.external_task_id !== undefined && findByExternalId(context, body.external_task_id)) {
    return klingError(400, 1201, 'external_task_id already exists');
  }
  const task = createTask(context, {
    provider: 'kling',
    kind,
    model: body.model_name ?? 'kling-v1',
    externalTaskId: body.external_task_id,
    callbackUrl: body.callback_url,
  });
  context.onTouched(task);
  const data = renderKlingTask(context, task);
  return reply(200, { code: 0, message: 'SUCCEED', request_id: randomUUID(), data: { ...data, task_result: undefined } });
}

/** A task by Kling's own id: the path slot of `GET /v1/videos/{kind}/{task_id}` names nothing else. */
function findTask(context: SimContext, kind: TaskKind, id: string): SimTask | undefined {
  const task = context.tasks.get(id);
  return task?.provider === 'kling' && task.kind === kind ? task : undefined;
}

/** A task by the caller's `external_task_id`, of the given kind or (kind undefined) of any. */
function findByExternalId(context: SimContext, externalTaskId: string, kind?: TaskKind): SimTask | undefined {
  for (const task of context.tasks.values()) {
    if (task.provider === 'kling' && (kind === undefined || task.kind === kind) && task.externalTaskId === externalTaskId) return task;
  }
  return undefined;
}

function queryReply(context: SimContext, task: SimTask | undefined): SimReply {
  if (!task) return klingError(404, 1203, 'task not found');
  context.onTouched(task);
  return reply(200, { code: 0, message: 'SUCCEED', request_id: randomUUID(), data: renderKlingTask(context, task) });
}

/** Routes `/v1/*`; undefined when the path is not Kling's. */
export async function routeKling(
  context: SimContext,
  keys: { accessKey: string; secret: Uint8Array },
  request: SimRequest,
): Promise<SimReply | undefined> {
  if (!request.path.startsWith('/v1/')) return undefined;
  const failure = await authenticate(request, keys.accessKey, keys.secret, context.now());
  if (failure) return klingError(401, failure.code, failure.message);
  const match = /^\/v1\/videos\/(text2video|image2video)(?:\/([^/]+))?$/.exec(request.path);
  const kind = match?.[1] ? KIND_BY_PATH[match[1]] : undefined;
  if (!match || !kind) return klingError(404, 1202, `No such resource: ${request.path}`);
  if (request.method === 'POST' && !match[2]) return create(context, request, kind);
  if (request.method === 'GET' && match[2]) return queryReply(context, findTask(context, kind, decodeURIComponent(match[2])));
  // By `external_task_id` as a query parameter of the collection path, the form public material documents best
  // (docs/providers.md). Other forms seen in clients (`/{id}?external_task_id=true`) are not simulated: Kling's
  // answer to them is unconfirmed, and the adapter must not depend on them.
  const externalTaskId = request.query.get('external_task_id');
  if (request.method === 'GET' && externalTaskId) return queryReply(context, findByExternalId(context, externalTaskId, kind));
  return klingError(404, 1202, `${request.method} not supported on ${request.path}`);
}
