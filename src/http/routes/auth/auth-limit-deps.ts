import type { Deps } from '../../../deps.js';
import type { AuthLimitDeps } from '../../../domain/auth-limits.js';

/** The sign-in and signup limits as configured. */
export function authLimitDepsOf(deps: Deps): AuthLimitDeps {
  return {
    db: deps.db,
    clock: deps.clock,
    signupsPerAddress: deps.config.SIGNUP_RATE_LIMIT,
    loginAttemptsPerAccount: deps.config.LOGIN_ATTEMPT_LIMIT,
  };
}
