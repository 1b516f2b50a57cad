import type { Request, Response } from 'express';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound } from '../../errors.ts';
import type { User } from '../../models/user.ts';
import {
  createPersonalToken,
  type NewPersonalToken,
  type PersonalToken,
  personalTokensOf,
  revokePersonalToken,
} from '../../services/api-tokens.ts';
import * as audit from '../../services/audit.ts';
import { formatDateTime, tenantTimeZone } from '../../services/local-time.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import {
  EXPIRY_LABELS,
  SCOPE_LABELS,
  TOKEN_EXPIRIES,
  tokenCreateSchema,
  tokenFormValues,
} from '../../validators/token.validator.ts';
import { signedInUser } from '../signed-in.ts';

/**
 * The signed-in person's personal access tokens, for scripts and integrations using the API. A new
 * token is shown on the response that made it and nowhere else: only its digest is stored, and it
 * never goes into the session (a flash) or a URL.
 */

// GET /profile/tokens
export async function index(req: Request, res: Response): Promise<void> {
  await render(res, 200, signedInUser(req), { values: tokenFormValues({}), errors: {} });
}

// POST /profile/tokens
export async function create(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const values = tokenFormValues(req.body);
  const parsed = tokenCreateSchema(await tenantTimeZone()).safeParse(req.body ?? {});
  if (!parsed.success) return render(res, 422, user, { values, errors: fieldErrors(parsed.error) });
  const made = await makeToken(user, parsed.data);
  await render(res, 201, user, { values: tokenFormValues({}), errors: {}, made });
}

// POST /profile/tokens/:tokenId/delete: only the person's own tokens; any other id is a 404.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const revoked = await revokeTokenOf(user, idParam(req.params.tokenId));
  req.flash(
    'success',
    revoked ? `The token "${revoked.name}" was revoked.` : 'That token was already revoked.',
  );
  res.redirect('/profile/tokens');
}

/** Makes a token for `user` and records it (never the token itself) in one transaction. */
async function makeToken(user: User, input: NewPersonalToken): Promise<{ token: string; name: string }> {
  return inTransaction(db(), async () => {
    const { token, record } = await createPersonalToken(String(user.id), input);
    await audit.record({
      action: 'token.created',
      recordType: 'personal_access_token',
      recordId: record.id,
      recordLabel: `${record.name} (${user.email})`,
      after: { userId: String(user.id), name: record.name, scope: record.scope, expiresAt: record.expiresAt },
    });
    return { token, name: record.name };
  });
}

// Shared with users/tokens.controller.ts and admin/tokens.controller.ts.

/**
 * Revokes one token of `user` and records it; null when it was revoked already, a 404 when `user`
 * has no token of that id.
 */
export async function revokeTokenOf(user: User, tokenId: string): Promise<PersonalToken | null> {
  return inTransaction(db(), async () => {
    const revoked = await revokePersonalToken(String(user.id), tokenId);
    if (!revoked) {
      const mine = await personalTokensOf(String(user.id));
      if (!mine.some((t) => t.id === tokenId)) throw new NotFound();
      return null;
    }
    await audit.record({
      action: 'token.revoked',
      recordType: 'personal_access_token',
      recordId: revoked.id,
      recordLabel: `${revoked.name} (${user.email})`,
      before: { status: 'active' },
      after: { status: 'revoked' },
    });
    return revoked;
  });
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

export interface TokenRow {
  id: string;
  name: string;
  hint: string;
  access: string;
  created: string;
  lastUsed: string;
  expires: string;
  status: TokenStatus;
}

/** Whether a token still opens the API. */
export function statusOf(token: PersonalToken, now = Date.now()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt).getTime() <= now) return 'expired';
  return 'active';
}

/** Tokens as the lists show them, on the clock of `timeZone`. */
export function tokenRows(tokens: PersonalToken[], timeZone: string): TokenRow[] {
  const at = (d: Date | null, none: string) => (d ? formatDateTime(new Date(d), timeZone) : none);
  return tokens.map((t) => ({
    id: t.id,
    name: t.name,
    hint: t.hint,
    access: SCOPE_LABELS[t.scope],
    created: at(t.createdAt, '—'),
    lastUsed: at(t.lastUsedAt, 'Never'),
    expires: at(t.expiresAt, 'Never'),
    status: statusOf(t),
  }));
}

/** What the new-token form offers. */
export const tokenChoices = {
  scopes: Object.entries(SCOPE_LABELS).map(([value, label]) => ({ value, label })),
  expiries: TOKEN_EXPIRIES.map((value) => ({ value, label: EXPIRY_LABELS[value] })),
};

async function render(
  res: Response,
  status: number,
  user: User,
  form: {
    values: Record<string, string>;
    errors: Record<string, string>;
    made?: { token: string; name: string };
  },
): Promise<void> {
  const [tokens, timeZone] = await Promise.all([personalTokensOf(String(user.id)), tenantTimeZone()]);
  // A page that shows a new token must not be kept by the browser or a proxy.
  if (form.made) res.set('Cache-Control', 'no-store');
  res.status(status).render('profile/tokens/index', {
    title: 'API tokens',
    rows: tokenRows(tokens, timeZone),
    choices: tokenChoices,
    ...form,
  });
}
