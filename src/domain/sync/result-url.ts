/**
 * Why a result URL from a provider may not be stored, or undefined when it may. Result URLs reach the public feed and
 * the web app renders them as links and players, so only `https:` passes: `javascript:`, `data:`, `file:` and the
 * like never do. Plain `http:` passes only where the built-in simulator may run (`allowHttp`, from
 * PROVIDER_SIMULATOR), since it serves its sample files over loopback HTTP.
 */
export function resultUrlProblem(url: string, allowHttp: boolean): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return 'not an absolute URL';
  }
  if (protocol === 'https:' || (allowHttp && protocol === 'http:')) return undefined;
  return `scheme ${protocol} is not accepted (https only)`;
}
