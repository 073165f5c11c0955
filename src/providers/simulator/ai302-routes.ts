import { z } from 'zod';
import { describeIssue, readFormBody, readJsonBody, reply, type SimReply, type SimRequest } from './messages.js';
import { createTask, mediaUrls, phaseOf, SIMULATED_FAILURE_REASON, type SimContext, type SimPhase, type SimTask } from './tasks.js';

/** 302's integer for each phase (providers.md §1.5). */
const STATUS: Readonly<Record<SimPhase, number>> = { submitted: 5, processing: 10, succeeded: 99, failed: 50 };

/**
 * 302's gateway error body, with its negative `err_code`s as 302's own tools list them (docs/providers.md, "302.ai"):
 * -10001 missing or invalid key, -10004 insufficient balance, -10008 no available model (HTTP 503), -10009 function
 * not supported, -10010 resource not found, -10011 invalid request. The HTTP status beside each code other than
 * -10008, and the `type` strings, are the simulator's guesses: 302 publishes neither.
 */
export function ai302Error(status: number, errCode: number, message: string, type: string, headers?: Record<string, string>): SimReply {
  return reply(status, { error: { err_code: errCode, message, message_cn: message, message_jp: message, type } }, headers);
}

const numberText = (min: number, max: number) =>
  z.union([z.string().trim().min(1), z.number()]).transform(Number).pipe(z.number().min(min).max(max));
const imageFile = z.object({ filename: z.string(), type: z.enum(['image/jpeg', 'image/png']), size: z.number().min(1).max(10 * 1024 * 1024) });

// Form fields arrive as strings; JSON clients (undocumented but seen) send numbers and an image URL.
const createSchema = z.object({
  prompt: z.string().max(2500).optional(),
  negative_prompt: z.string().max(2500).optional(),
  cfg: numberText(0, 1).optional(),
  aspect_ratio: z.enum(['1:1', '16:9', '9:16']).optional(),
  camera_type: z
    .enum(['horizontal', 'vertical', 'zoom', 'tilt', 'pan', 'roll', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'])
    .optional(),
  camera_value: numberText(-10, 10).optional(),
  input_image: z.union([imageFile, z.url()]).optional(),
  callback: z.url().optional(),
});

function kindOf(model: string): 't2v' | 'i2v' | undefined {
  if (!/^m2v_[a-z0-9_]+$/.test(model)) return undefined;
  if (model.includes('txt2video')) return 't2v';
  if (model.includes('img2video')) return 'i2v';
  return undefined;
}

/** The fetch envelope (web style); also the body POSTed to a task's `callback`. */
export function renderAi302Task(context: SimContext, task: SimTask): Record<string, unknown> {
  const phase = phaseOf(task, context);
  const status = STATUS[phase];
  const urls = mediaUrls(context, task);
  const works =
    phase === 'succeeded'
      ? [
          {
            status,
            contentType: 'video',
            resource: { resource: urls.video, width: 320, height: 180, duration: 1000 },
            cover: { resource: urls.thumbnail, width: 320, height: 180 },
          },
        ]
      : [];
  return {
    result: 1,
    message: 'success',
    status: 200,
    timestamp: context.now(),
    data: {
      status,
      message: phase === 'failed' ? SIMULATED_FAILURE_REASON : '',
      task: { id: task.id, status, type: task.model, createTime: task.createdAt },
      works,
    },
  };
}

async function create(context: SimContext, request: SimRequest, model: string): Promise<SimReply> {
  const kind = kindOf(model);
  if (!kind) return ai302Error(404, -10010, `Unknown model path: ${model}`, 'not_found');
  const fields = (await readFormBody(request)) ?? readJsonBody(request);
  if (fields === undefined) return ai302Error(400, -10011, 'Body must be multipart/form-data or JSON', 'invalid_request');
  const parsed = createSchema.safeParse(fields);
  if (!parsed.success) return ai302Error(400, -10011, describeIssue(parsed.error.issues), 'invalid_request');
  const body = parsed.data;
  if (kind === 't2v' && !body.prompt) return ai302Error(400, -10011, 'prompt: is required for text-to-video', 'invalid_request');
  if (kind === 'i2v' && !body.input_image) return ai302Error(400, -10011, 'input_image: is required for image-to-video', 'invalid_request');
  const task = createTask(context, { provider: 'ai302', kind, model, callbackUrl: body.callback });
  context.onTouched(task);
  return reply(200, {
    result: 1,
    message: 'success',
    status: 200,
    timestamp: context.now(),
    data: { status: STATUS.submitted, message: '', task: { id: task.id, status: STATUS.submitted, type: model, createTime: task.createdAt }, works: [] },
  });
}

/** 302's fetch takes an optional `geo` (`global` or `cn`) in the query; we accept either and refuse anything else. */
function fetchTask(context: SimContext, request: SimRequest, id: string): SimReply {
  const geo = request.query.get('geo');
  if (geo !== null && geo !== 'global' && geo !== 'cn') return ai302Error(400, -10011, 'geo: must be global or cn', 'invalid_request');
  const task = context.tasks.get(id);
  if (!task || task.provider !== 'ai302') return ai302Error(404, -10010, `Task ${id} not found`, 'not_found');
  context.onTouched(task);
  return reply(200, renderAi302Task(context, task));
}

/** Routes `/klingai/*`; undefined when the path is not 302's. Auth first, as the gateway does. */
export async function routeAi302(context: SimContext, apiKey: string, request: SimRequest): Promise<SimReply | undefined> {
  const fetchMatch = /^\/klingai\/task\/([^/]+)\/fetch$/.exec(request.path);
  const createMatch = /^\/klingai\/([^/]+)$/.exec(request.path);
  if (!fetchMatch && !createMatch) return undefined;
  if (request.headers.authorization !== `Bearer ${apiKey}`) {
    return ai302Error(401, -10001, 'Invalid API key or missing Authorization header', 'unauthorized');
  }
  if (fetchMatch?.[1] && request.method === 'GET') return fetchTask(context, request, decodeURIComponent(fetchMatch[1]));
  if (createMatch?.[1] && request.method === 'POST') return create(context, request, decodeURIComponent(createMatch[1]));
  return ai302Error(405, -10009, `${request.method} not allowed on ${request.path}`, 'method_not_allowed');
}
