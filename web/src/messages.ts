import { ApiError } from './api';

export interface ErrorContext {
  /** Price of the current choice, for `insufficient_credits` when the body does not say. */
  price?: number;
  /** Known balance, for `insufficient_credits` when the body does not say. */
  balance?: number | null;
}

/** A number from the error body, or from its `details` (where the API puts `required` and `balance`). */
function num(body: Record<string, unknown>, ...keys: string[]): number | undefined {
  const details = body.details && typeof body.details === 'object' ? (body.details as Record<string, unknown>) : {};
  for (const source of [details, body]) {
    for (const key of keys) {
      const v = source[key];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

export function insufficientCreditsMessage(required: number, balance: number): string {
  return `You need ${required} ${required === 1 ? 'credit' : 'credits'} for this video; you have ${balance}.`;
}

/** A sentence a person can act on, for any thrown value. */
export function errorMessage(err: unknown, ctx: ErrorContext = {}): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (err.code) {
    case 'insufficient_credits': {
      const required = num(err.body, 'required', 'price', 'credits_required', 'cost') ?? ctx.price;
      const balance = num(err.body, 'balance', 'credits_balance', 'available') ?? ctx.balance ?? undefined;
      if (required !== undefined && balance !== undefined) return insufficientCreditsMessage(required, balance);
      return 'You do not have enough credits for this video.';
    }
    case 'validation_error':
      return err.message || 'Please check the form and try again.';
    case 'missing_parameters':
      return err.message && err.message !== 'Bad Request'
        ? `Some required fields are missing: ${err.message}`
        : 'Some required fields are missing. Please fill them in and try again.';
    case 'rate_limited':
      return 'Too many requests. Please wait a minute and try again.';
    case 'unauthorized':
      return 'Please sign in again.';
    case 'provider_unavailable':
      return 'This video service is not available here right now; nothing was charged. Please choose another provider.';
    case 'provider_error':
      return 'The video service could not accept this request right now. Please try again in a few minutes.';
    case 'network_error':
      return 'Could not reach the server. Check your connection and try again.';
    default:
      if (err.status === 429) return 'Too many requests. Please wait a minute and try again.';
      return `Something went wrong (${err.code}). Please try again.`;
  }
}
