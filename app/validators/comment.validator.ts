import { z } from 'zod';
import { textField } from './common.ts';

export const COMMENT_MAX = 5000;

/** A comment's text: 1 to 5,000 characters once trimmed, line breaks kept (stored with \n only). */
export const commentSchema = z.object({
  body: z.preprocess(
    (v) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n') : v),
    textField(COMMENT_MAX).refine((v) => v.length > 0, 'is required'),
  ),
});

export type CommentInput = z.output<typeof commentSchema>;

/** What the person typed, to put back into the form that is shown again. */
export function commentFormValues(body: unknown): { body: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  return { body: typeof b.body === 'string' ? b.body : '' };
}

/**
 * Where a comment or attachment form sends the person back: the task page (the default) or one of
 * the task's own comment and attachment pages. Anything else is ignored, so the field cannot be
 * used to send people to another site.
 */
export function backTo(raw: unknown, taskId: string, anchor = ''): string {
  const task = `/tasks/${taskId}`;
  const allowed = [task, `${task}/comments`, `${task}/attachments`];
  const path = typeof raw === 'string' && allowed.includes(raw) ? raw : task;
  return `${path}${anchor}`;
}
