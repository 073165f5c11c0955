import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.js';
import { PROJECT_ROOT } from '../src/project-root.js';

/**
 * The configuration schema is the one source of defaults (.env.example is checked against it in src/config.test.ts).
 * A page that still names a default — a table with a "default" column, "`VAR` (default `value`" or "`VAR` (30 s)" in
 * prose — must say what the schema says, for development (a production default, where it differs, follows in words).
 */
const DOCS = ['README.md', ...readdirSync(path.join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const defaults: Record<string, unknown> = loadConfig({});
/** What .env.example leaves empty: "unset" in a page (the schema may still turn it into a value, as `false`). */
const example = parseEnv(readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8'));

interface Claim {
  file: string;
  line: number;
  variable: string;
  /** undefined: the page says "unset". */
  value: string | undefined;
}

const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
const ticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const isVariable = (text: string) => /^[A-Z][A-Z0-9_]+$/.test(text);

/** Rows of tables whose header has a "default" column: the variables of the first cell, the values of that one. */
function tableClaims(file: string, lines: string[]): Claim[] {
  const claims: Claim[] = [];
  let column = -1;
  lines.forEach((text, index) => {
    if (!text.trim().startsWith('|')) return void (column = -1);
    const row = cells(text);
    if (column === -1) return void (column = row.findIndex((c) => c.toLowerCase() === 'default'));
    if (row.every((c) => /^-+$/.test(c))) return;
    const variables = ticked(row[0] ?? '').filter(isVariable);
    const cell = row[column] ?? '';
    const values = ticked(cell);
    const at = { file, line: index + 1 };
    if (/^unset\b/.test(cell)) for (const variable of variables) claims.push({ ...at, variable, value: undefined });
    else if (values.length === variables.length) variables.forEach((variable, i) => claims.push({ ...at, variable, value: values[i] }));
    else if (variables.length === 1 && values.length > 0) claims.push({ ...at, variable: variables[0]!, value: values[0] });
  });
  return claims;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3600_000, days: 86_400_000 };

/** A quantity in words ("30 s", "5 min", "10") as the variable's own unit: milliseconds for `*_MS`, seconds for `*_SECONDS`. */
function inVariableUnit(variable: string, amount: string, unit: string | undefined): string {
  if (unit === undefined) return amount;
  const ms = Number(amount) * UNIT_MS[unit]!;
  return String(variable.endsWith('_SECONDS') ? ms / 1000 : ms);
}

/** "`VAR` (default `value`", "`VAR` defaults to `value`", and a quantity in brackets, "`VAR` (30 s)", in prose. */
function proseClaims(file: string, lines: string[]): Claim[] {
  return lines.flatMap((text, index) => [
    ...[...text.matchAll(/`([A-Z][A-Z0-9_]+)` (?:\(default |defaults to )`([^`]+)`/g)].map((m) => ({ file, line: index + 1, variable: m[1]!, value: m[2] })),
    ...[...text.matchAll(/`([A-Z][A-Z0-9_]+)` \((\d+)(?: (ms|s|min|h|days))?\)/g)].map((m) => ({
      file,
      line: index + 1,
      variable: m[1]!,
      value: inVariableUnit(m[1]!, m[2]!, m[3]),
    })),
  ]);
}

const claims = DOCS.flatMap((file) => {
  const lines = readFileSync(path.join(PROJECT_ROOT, file), 'utf8').split('\n');
  return [...tableClaims(file, lines), ...proseClaims(file, lines)];
});

describe('defaults named in the documentation', () => {
  it('are found (the scan still reads the pages)', () => {
    expect(claims.length).toBeGreaterThan(10);
  });

  it.each(claims.map((c) => [`${c.file}:${c.line} ${c.variable}`, c] as const))('%s agrees with the configuration schema', (_where, claim) => {
    expect(CONFIG_VARIABLES, `${claim.variable} is not a configuration variable`).toContain(claim.variable);
    const actual = defaults[claim.variable];
    if (claim.value === undefined && example[claim.variable] === '') return;
    expect(actual === undefined ? undefined : String(actual)).toBe(claim.value);
  });
});
