import { z } from 'zod';

/** Control characters (Unicode Cc) other than tab and newline: NUL breaks PostgreSQL text, the rest forge log lines. */
const CONTROL = /[^\P{Cc}\t\n]/u;

/**
 * A text field as people type it: line breaks made `\n`, Unicode in NFC (so one prompt is stored one way), and no
 * control character but tab and newline. `then` adds the field's own rules (trimming, lengths), applied afterwards.
 */
export function plainText<T extends z.ZodType<unknown, string>>(field: string, then: T) {
  return z
    .string()
    .transform((value) => value.replace(/\r\n?/g, '\n').normalize('NFC'))
    .refine((value) => !CONTROL.test(value), `${field} must not contain control characters`)
    .pipe(then);
}
