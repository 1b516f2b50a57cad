import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { domainProblem } from '../models/domain.ts';
import { reservedDomainProblem } from '../tenancy/schema-name.ts';

/** A host name as typed: trimmed, lowercased, without a final dot, international names in ASCII form. */
function normalise(input: string): string {
  const text = input.trim().toLowerCase().replace(/\.$/, '');
  // Browsers send international names punycoded in the Host header, so that is the form to store.
  // domainToASCII answers '' for what it cannot convert; the original then gets domainProblem's message.
  return domainToASCII(text) || text;
}

export const domainSchema = z.object({
  domain: z
    .string()
    .max(253, 'is too long')
    .transform(normalise)
    .superRefine((v, ctx) => {
      const problem = v === '' ? 'is required' : (domainProblem(v) ?? reservedDomainProblem(v));
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});

export type DomainInput = z.output<typeof domainSchema>;
