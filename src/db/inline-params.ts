import pg from 'pg';

/** A parameter as SQL literal text: the simple query protocol, which takes several statements, takes no parameters. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot inline the number ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  if (typeof value === 'string') return pg.escapeLiteral(value);
  throw new TypeError(`cannot inline a parameter of type ${typeof value}`);
}

/**
 * Replaces `$1`, `$2`, … with escaped literals (pg's own escaping: quotes doubled, backslashes in an E'' string).
 * Placeholders inside quoted literals of the statement are left alone; dollar-quoted bodies are refused.
 */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  if (sql.includes('$$')) throw new TypeError('cannot inline parameters into a dollar-quoted statement');
  return sql.replace(/('(?:[^']|'')*')|\$(\d+)/g, (match, quoted: string | undefined, index: string | undefined) => {
    if (quoted !== undefined) return match;
    const position = Number(index) - 1;
    if (position < 0 || position >= params.length) throw new RangeError(`no parameter ${match}`);
    return literal(params[position]);
  });
}
