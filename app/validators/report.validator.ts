import { z } from 'zod';
import { ID_RE } from './common.ts';

/** "E-mail the report": to the reader (no choice) or to one of the project's people. */
export const reportMailSchema = z.object({
  userId: z
    .union([z.literal(''), z.string().regex(ID_RE, 'is not a person of this project')])
    .optional()
    .transform((v) => v || null),
});
