/** Typed client for the SimpleVideo HTTP API. Every failure is thrown as an {@link ApiError}. */

export interface User {
  id: string | number;
  email: string;
  /** Only from /api/auth/me: whether the address is confirmed. */
  email_confirmed?: boolean;
}

export interface AuthResponse {
  user: User;
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

/** One of the signed-in user's sessions (a device or browser signed in), from /api/auth/sessions. */
export interface AuthSession {
  id: string;
  created_at: string;
  /** The last sign-in or refresh. */
  refreshed_at: string;
  user_agent: string | null;
  ip: string | null;
  /** The session this browser is signed in with. */
  current: boolean;
}

export interface FeedVideo {
  id: string;
  videoUrl: string;
  created_at: string;
  title: string;
}

export type Provider = 'ai302' | 'kling';
export type Kind = 't2v' | 'i2v';

export interface Product {
  id: string;
  path: string;
  kind: Kind;
  durationSeconds: 5 | 10;
  highQuality: boolean;
  credits: number;
  provider: Provider;
}

export interface Credits {
  user_id: string | number;
  credits_balance: number;
  total_credits_purchased: number;
  total_credits_used: number;
  created_at: string;
  updated_at: string;
}

export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface Creation {
  id: number;
  user_id: string | number;
  task_type: string;
  model: string;
  high_quality: boolean;
  prompt: string;
  negative_prompt: string | null;
  cfg: number | null;
  credits: number;
  created_at: string;
  start_img_path: string | null;
  additional_params: { duration?: '5s' | '10s'; aspect_ratio?: string; [key: string]: unknown } | null;
  status: TaskStatus;
  result_url: string | null;
  thumbnail_url: string | null;
  error_message: string | null;
  refunded: boolean;
  updated_at: string;
}

export interface CreationPage {
  creations: Creation[];
  next_before: number | null;
}

export interface Favorite {
  task_id: number;
  created_at: string;
}

export interface LedgerEntry {
  id: number;
  delta: number;
  reason: string;
  task_id: number | null;
  balance_after: number;
  created_at: string;
}

export interface Subscription {
  id: string | number;
  user_id: string | number;
  plan_type: string;
  status: string;
  start_date: string;
  end_date: string | null;
  renewal_status: 'auto' | 'manual';
  created_at: string;
  updated_at: string;
}

export interface T2vRequest {
  prompt: string;
  negative_prompt: string;
  cfg: number;
  aspect_ratio: string;
  camera_type?: string;
  camera_value?: number;
}

export interface I2vRequest {
  image: File;
  prompt: string;
  negative_prompt: string;
  cfg: number;
}

/** What a generation route answers; the shape differs per provider, `taskId` is always there. */
export interface GenerationResponse {
  taskId: number | string;
  [key: string]: unknown;
}

/** Any failed request: HTTP errors carry the body's `code`; network failures use `network_error`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown>;

  constructor(status: number, code: string, message: string, body: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let unauthorizedHandler: (() => void) | null = null;

/** Called when an authenticated request answers 401 and no refresh helps (the session is over, or there is none). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

interface RequestOptions {
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** A 401 is an expected answer here (login, me): do not treat it as an expired session. */
  expect401?: boolean;
  /** Signing in and out: a 401 is the answer itself, not an access token to refresh. */
  noRefresh?: boolean;
}

function codeForStatus(status: number): string {
  if (status === 401) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return `http_${status}`;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Gets a new access token with the refresh token's cookie (httpOnly, sent to /api/auth only); true when it did.
 * Requests that meet an expired token together share one refresh: each refresh token works once.
 */
function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/api/auth/refresh', { method: 'POST', headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then((res) => res.ok, () => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  try {
    return await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach the server.');
  }
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let res = await send(method, path, options);
  // Access tokens are short-lived (an hour by default): on a 401, refresh once and ask again. Only when that fails
  // is the session over.
  if (res.status === 401 && !options.noRefresh && (await refreshSession())) res = await send(method, path, options);
  const text = res.status === 204 ? '' : await res.text().catch(() => '');
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const obj = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
    const code = typeof obj.code === 'string' ? obj.code : codeForStatus(res.status);
    const message = typeof obj.error === 'string' ? obj.error : res.statusText || `HTTP ${res.status}`;
    if (res.status === 401 && !options.expect401) unauthorizedHandler?.();
    throw new ApiError(res.status, code, message, obj);
  }
  return data as T;
}

/** A UUID for the Idempotency-Key header; falls back to getRandomValues outside secure contexts. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Ids are numbers in the API; coerce defensively so Set/Map lookups and sorting stay right. */
export function normalizeCreation(c: Creation): Creation {
  return typeof c.id === 'number' ? c : { ...c, id: Number(c.id) };
}

export const api = {
  signup: (email: string, password: string) =>
    request<AuthResponse>('POST', '/api/auth/signup', { json: { email, password }, expect401: true, noRefresh: true }),
  login: (email: string, password: string) =>
    request<AuthResponse>('POST', '/api/auth/login', { json: { email, password }, expect401: true, noRefresh: true }),
  logout: () => request<void>('POST', '/api/auth/logout', { expect401: true, noRefresh: true }),
  /** Ends every other session of the account (`others`) or every one, this one too (`global`). */
  logoutScope: (scope: 'others' | 'global') => request<void>('POST', `/api/auth/logout?scope=${scope}`),
  /** A new access token now, e.g. to carry a changed address; false when the session is over. */
  refresh: () => refreshSession(),
  me: () => request<{ user: User }>('GET', '/api/auth/me', { expect401: true }),
  /** 400 `invalid_token`: unknown, used, replaced or expired. */
  confirmEmail: (token: string) => request<void>('POST', '/api/auth/confirm', { json: { token }, noRefresh: true }),
  resendConfirmation: () => request<void>('POST', '/api/auth/resend-confirmation'),
  /** Answers alike whether or not the address has an account. */
  recover: (email: string) => request<Record<string, never>>('POST', '/api/auth/recover', { json: { email }, noRefresh: true }),
  /** Signs in with a new session; every other session of the account ends. */
  resetPassword: (token: string, password: string) =>
    request<AuthResponse>('POST', '/api/auth/reset-password', { json: { token, password }, noRefresh: true }),
  /** 403 `wrong_password`; the account's other sessions end. */
  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>('POST', '/api/auth/change-password', { json: { current_password: currentPassword, new_password: newPassword } }),
  /** Mails a link to the new address; the address changes when it is opened. 403 `wrong_password`, 409 `email_taken`. */
  changeEmail: (newEmail: string, password: string) =>
    request<Record<string, never>>('POST', '/api/auth/email', { json: { new_email: newEmail, password } }),
  /** Needs no session. 400 `invalid_token`, 409 `email_taken`. */
  confirmEmailChange: (token: string) =>
    request<{ user: User }>('POST', '/api/auth/email/confirm', { json: { token }, noRefresh: true }),
  sessions: () => request<{ sessions: AuthSession[] }>('GET', '/api/auth/sessions'),
  /** 404 `session_not_found` when it has ended already. */
  endSession: (id: string) => request<void>('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`),
  /** Irreversible: the account, its tasks, files, favorites and credits. 403 `wrong_password`, 409 `tasks_in_flight`. */
  deleteAccount: (password: string) => request<void>('DELETE', '/api/auth/account', { json: { password } }),

  latestVideos: () => request<FeedVideo[]>('GET', '/api/videos/latest'),
  catalog: () => request<{ products: Product[] }>('GET', '/api/catalog'),

  credits: () => request<Credits>('GET', '/api/user/fetch-credit'),
  creditHistory: (limit = 50) =>
    request<{ entries: LedgerEntry[] }>('GET', `/api/user/credit-history?limit=${limit}`),
  subscription: () => request<Subscription>('GET', '/api/user/fetch-subscription'),

  creations: async (limit = 24, before?: number | null): Promise<CreationPage> => {
    const q = `limit=${limit}${before != null ? `&before=${encodeURIComponent(before)}` : ''}`;
    const page = await request<CreationPage>('GET', `/api/user/fetch-creation?${q}`);
    return { creations: (page.creations ?? []).map(normalizeCreation), next_before: page.next_before ?? null };
  },
  task: async (id: number | string) =>
    normalizeCreation(await request<Creation>('GET', `/api/user/tasks/${encodeURIComponent(id)}`)),

  favorites: () => request<{ favorites: Favorite[] }>('GET', '/api/user/favorites'),
  addFavorite: (taskId: number) => request<unknown>('POST', '/api/user/favorites', { json: { taskId } }),
  removeFavorite: (taskId: number) =>
    request<void>('DELETE', `/api/user/favorites/${encodeURIComponent(taskId)}`),

  textToVideo: (path: string, body: T2vRequest, idempotencyKey: string) =>
    request<GenerationResponse>('POST', path, { json: body, headers: { 'Idempotency-Key': idempotencyKey } }),
  imageToVideo: (path: string, req: I2vRequest, idempotencyKey: string) => {
    const form = new FormData();
    form.append('prompt', req.prompt);
    form.append('negative_prompt', req.negative_prompt);
    form.append('cfg', String(req.cfg));
    // The file goes last so servers that stream multipart see the text fields first.
    form.append('input_image', req.image, req.image.name);
    return request<GenerationResponse>('POST', path, { form, headers: { 'Idempotency-Key': idempotencyKey } });
  },
};
