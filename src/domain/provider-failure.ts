import type { ProviderError } from '../providers/video-provider.js';

/**
 * A task's reason when our own credentials or account at the provider stopped it (see isOperatorProblem). The
 * provider's text ("Insufficient account balance") would read as the user's fault, so it goes to the log, not here.
 */
export const OPERATOR_PROBLEM_REASON =
  'The provider would not take this task because of a problem with this service’s account there, not with your request; the operator has been alerted';

/** Whether the failure is ours to fix (credentials, balance, quota) rather than the task's: logged at error level. */
export function isOperatorProblem(error: ProviderError): boolean {
  return error.kind === 'unauthorized' || error.kind === 'account';
}
