/** Primitives shared by every resource's schema: record ids, zod issues as field messages, free text. */
import { z } from 'zod';
import { NotFound } from '../errors.ts';

// Digits that fit a BIGINT: anything else would make PostgreSQL raise an error (a 500) on lookup.
export const ID_RE = /^[1-9][0-9]{0,17}$/;

/** A record id from the URL; anything that cannot be an id is a 404, never a database error. */
export function idParam(raw: unknown): string {
  if (typeof raw === 'string' && ID_RE.test(raw)) return raw;
  throw new NotFound();
}

/** Turns zod issues into the field → message map of a ValidationError. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_';
    fields[key] ??= issue.message;
  }
  return fields;
}

// PostgreSQL refuses NUL in text and in JSON (audit entries), and other C0 controls and DEL have no
// place in what people read. Tab, newline and CR are the only ones multi-line text keeps.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LINE_BREAK = /[\r\n\t]/;
// With the u flag a surrogate only matches when it is not half of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export const CONTROL_MESSAGE = 'must not contain control characters';
export const SURROGATE_MESSAGE = 'contains a character that is not valid text';

/** What is wrong with a free text, or null: the one rule for every text a person types. */
export function textProblem(text: string, multiline: boolean): string | null {
  if (CONTROL.test(text) || (!multiline && LINE_BREAK.test(text))) return CONTROL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return null;
}

/** True when the text passes the free-text rule; for query strings that fall back instead of failing. */
export function isCleanText(text: string, multiline = false): boolean {
  return textProblem(text, multiline) === null;
}

function refineText(multiline: boolean) {
  return (v: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(v, multiline);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/** A missing field reads as "is required" (a JSON body may leave one out), anything else not text as "must be text". */
const TEXT_ERROR = {
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : 'must be text'),
};

/** A one-line text of at most `max` characters, trimmed; `min` 1 makes it required. */
export function lineField(max: number, min = 0, minMessage = 'is required') {
  return z
    .string(TEXT_ERROR)
    .trim()
    .min(min, min ? minMessage : undefined)
    .max(max, `must be at most ${max} characters`)
    .superRefine(refineText(false));
}

/** A multi-line text of at most `max` characters, trimmed, with its line breaks kept. */
export function textField(max: number, min = 0, minMessage = 'is required') {
  return z
    .string(TEXT_ERROR)
    .trim()
    .min(min, min ? minMessage : undefined)
    .max(max, `must be at most ${max} characters`)
    .superRefine(refineText(true));
}
