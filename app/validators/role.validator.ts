import { z } from 'zod';
import { lineField } from './common.ts';

export const roleSchema = z.object({
  name: lineField(60, 1),
  description: lineField(255)
    .optional()
    .transform((v) => v || null),
  // A select sends the level as text; only the six fixed levels exist.
  permissionLevel: z
    .string({ error: 'must be one of the permission levels' })
    .regex(/^[0-5]$/, 'must be one of the permission levels')
    .transform(Number),
});

// A select sends the level as text; a JSON client sends the number it reads back from the API.
export const roleApiSchema = roleSchema.extend({
  permissionLevel: z
    .number({ error: 'must be one of the permission levels' })
    .int('must be one of the permission levels')
    .min(0, 'must be one of the permission levels')
    .max(5, 'must be one of the permission levels'),
});

export type RoleInput = z.output<typeof roleSchema>;

/** What the user typed, to put back into a form that is shown again. */
export function roleFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { name: text(b.name), description: text(b.description), permissionLevel: text(b.permissionLevel) };
}
