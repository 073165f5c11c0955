import { describe, expect, it } from 'vitest';
import { mapAi302HttpError, mapAi302Status, readAi302CreateReply, readAi302FetchReply, readAi302TaskId } from './ai302-wire.js';
import { ProviderError } from './video-provider.js';

const video = 'https://cdn.example/v/1.mp4';
const cover = 'https://cdn.example/v/1.jpg';

function web(status: number, works: unknown[] = [], message = '') {
  return { result: 1, message: 'success', data: { status, message, task: { id: '1', status }, works } };
}
const done = [{ resource: { resource: video }, cover: { resource: cover } }];

describe('302 status codes', () => {
  it.each([
    ['5 submitted', web(5), { state: 'processing' }],
    ['10 processing', web(10), { state: 'processing' }],
    ['50 failed, with message', web(50, [], 'content moderation'), { state: 'failed', reason: 'content moderation' }],
    ['50 failed, no message', web(50), { state: 'failed', reason: '302.ai reported the task failed (status 50)' }],
    ['51 other failure code', web(51), { state: 'failed', reason: '302.ai reported the task failed (status 51)' }],
    ['99 with works', web(99, done), { state: 'completed', videoUrl: video, thumbnailUrl: cover }],
    ['99 without a cover', web(99, [{ resource: { resource: video } }]), { state: 'completed', videoUrl: video, thumbnailUrl: null }],
    ['99 without works', web(99), { state: 'processing' }],
    ['3 unknown low code', web(3), { state: 'processing' }],
    ['42 unknown code', web(42), { state: 'processing' }],
  ])('%s', (_name, reply, expected) => {
    expect(readAi302FetchReply(reply)).toEqual(expected);
  });

  it('falls back to data.task.status when data.status is missing', () => {
    expect(readAi302FetchReply({ result: 1, data: { task: { id: 1, status: 99 }, works: done } })).toMatchObject({ state: 'completed' });
  });

  it('prefers data.status over data.task.status', () => {
    expect(readAi302FetchReply({ result: 1, data: { status: 10, task: { status: 99 }, works: done } })).toEqual({ state: 'processing' });
  });

  it('maps codes directly', () => {
    expect(mapAi302Status(100, null, null, undefined)).toMatchObject({ state: 'failed' });
    expect(mapAi302Status(-1, null, null, undefined)).toEqual({ state: 'processing' });
  });
});

describe('official-style envelope on /task/{id}/fetch', () => {
  const official = (data: unknown, code = 0) => ({ code, message: 'SUCCEED', data });
  it.each([
    ['submitted', official({ task_status: 'submitted' }), { state: 'processing' }],
    ['processing', official({ task_status: 'processing' }), { state: 'processing' }],
    ['succeed', official({ task_status: 'succeed', task_result: { videos: [{ url: video }] } }), { state: 'completed', videoUrl: video, thumbnailUrl: null }],
    ['failed', official({ task_status: 'failed', task_status_msg: 'risk control' }), { state: 'failed', reason: 'risk control' }],
  ])('%s', (_name, reply, expected) => {
    expect(readAi302FetchReply(reply)).toEqual(expected);
  });

  it('treats a non-zero code as transient', () => {
    expect(() => readAi302FetchReply(official(null, 5000))).toThrow(expect.objectContaining({ kind: 'transient' }));
  });
});

describe('malformed replies', () => {
  it.each([[undefined], [null], ['text'], [{ result: 1 }], [{ result: 1, data: { works: [] } }], [{ foo: 1 }]])('%j is transient', (reply) => {
    expect(() => readAi302FetchReply(reply)).toThrow(expect.objectContaining({ kind: 'transient' }));
  });
});

describe('create replies', () => {
  it('reads a string or numeric task id as text', () => {
    expect(readAi302CreateReply({ result: 1, data: { status: 5, task: { id: '123' } } })).toEqual({ externalTaskId: '123' });
    expect(readAi302CreateReply({ result: 1, data: { status: 5, task: { id: 456 } } })).toEqual({ externalTaskId: '456' });
  });

  it('status 7 is a rejection with the message', () => {
    const error = capture(() => readAi302CreateReply({ result: 1, data: { status: 7, message: 'prompt not allowed' } }));
    expect(error).toMatchObject({ kind: 'rejected', message: 'prompt not allowed' });
  });

  it('result other than 1 is a rejection', () => {
    expect(capture(() => readAi302CreateReply({ result: 0, message: 'bad input', data: null }))).toMatchObject({ kind: 'rejected', message: 'bad input' });
  });

  it('a reply without a task id is transient', () => {
    expect(capture(() => readAi302CreateReply({ result: 1, data: {} }))).toMatchObject({ kind: 'transient' });
    expect(capture(() => readAi302CreateReply('nope'))).toMatchObject({ kind: 'transient' });
  });
});

describe('HTTP errors', () => {
  const body = { error: { err_code: 10003, message: 'cfg out of range', type: 'invalid_request' } };
  it.each([
    [401, undefined, 'unauthorized'],
    [403, undefined, 'unauthorized'],
    [429, 2000, 'transient'],
    [500, undefined, 'transient'],
    [503, undefined, 'transient'],
    [400, undefined, 'rejected'],
    [404, undefined, 'rejected'],
  ] as const)('%i → %s', (status, retryAfterMs, kind) => {
    const error = mapAi302HttpError(status, body, retryAfterMs);
    expect(error.kind).toBe(kind);
    expect(error.message).toBe('cfg out of range');
    expect(error.details).toMatchObject({ httpStatus: status, providerCode: 10003 });
    if (retryAfterMs) expect(error.details.retryAfterMs).toBe(retryAfterMs);
  });

  it('uses a generic message when the body is not 302-shaped', () => {
    expect(mapAi302HttpError(422, undefined, undefined)).toMatchObject({ kind: 'rejected', message: '302.ai replied HTTP 422' });
  });
});

describe('302 err_codes decide before the HTTP status', () => {
  const body = (err_code: number | string, message = '302 says no') => ({
    error: { err_code, message, message_cn: '不行', message_jp: 'だめ', type: 'api_error' },
  });
  it.each([
    ['no available models', 503, -10008, 'transient'],
    ['no available models, whatever the status', 400, -10008, 'transient'],
    ['upstream connection timeout', 500, -1024, 'transient'],
    ['generation timed out', 500, -10504, 'transient'],
    ['insufficient balance', 403, -10004, 'account'],
    ['insufficient balance on a 5xx', 500, -10004, 'account'],
    ['total quota used up', 403, -10006, 'account'],
    ['daily quota used up, even on a 429', 429, -10007, 'account'],
    ['hourly quota used up', 429, -10012, 'account'],
    ['monthly quota used up', 403, -10018, 'account'],
    ['model disabled for the account', 403, -10013, 'account'],
    ['address barred', 403, -10014, 'account'],
    ['missing or invalid key', 401, -10001, 'unauthorized'],
    ['key disabled or deleted', 403, -10002, 'unauthorized'],
    ['credential expired', 401, -10005, 'unauthorized'],
    ['invalid request, even on a 5xx', 500, -10011, 'rejected'],
    ['function not supported', 404, -10009, 'rejected'],
    ['resource not found', 404, -10010, 'rejected'],
    ['image resolution', 400, -10015, 'rejected'],
    ['file too large', 413, -10017, 'rejected'],
    ['-10003 on a 4xx: left to the status', 400, -10003, 'rejected'],
    ['-10003 on a 5xx: left to the status', 502, -10003, 'transient'],
    ['an unknown code on a 4xx', 400, -19999, 'rejected'],
    ['an unknown code on a 5xx', 500, -19999, 'transient'],
  ] as const)('%s (%i, %i) → %s, with 302’s message and code', (_name, status, code, kind) => {
    const error = mapAi302HttpError(status, body(code), undefined);
    expect(error).toMatchObject({ kind, message: '302 says no', details: { httpStatus: status, providerCode: code } });
  });

  it('reads a code sent as a string', () => {
    expect(mapAi302HttpError(403, body('-10004'), undefined)).toMatchObject({ kind: 'account', details: { providerCode: '-10004' } });
  });

  it('keeps Retry-After for a transient code only', () => {
    expect(mapAi302HttpError(503, body(-10008), 4000).details.retryAfterMs).toBe(4000);
    expect(mapAi302HttpError(429, body(-10007), 4000).details.retryAfterMs).toBeUndefined();
  });
});

describe('readAi302TaskId', () => {
  it.each([
    ['web style', web(99, done), '1'],
    ['web style, numeric id', { result: 1, data: { status: 10, task: { id: 123456789 } } }, '123456789'],
    ['official style', { code: 0, data: { task_id: '8319', task_status: 'succeed' } }, '8319'],
    ['no task object', { result: 1, data: { status: 99, works: done } }, undefined],
    ['task without id', { result: 1, data: { status: 99, task: { status: 99 } } }, undefined],
    ['empty id', { result: 1, data: { task: { id: '' } } }, undefined],
    ['not an envelope', 'hello', undefined],
  ])('%s', (_name, body, id) => {
    expect(readAi302TaskId(body)).toBe(id);
  });
});

function capture(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}
