import type { NextFunction, Request, Response } from 'express';
import { personalTokensOf } from '../../services/api-tokens.ts';
import { tenantTimeZone } from '../../services/local-time.ts';
import { idParam } from '../../validators/common.ts';
import { revokeTokenOf, tokenRows } from '../profile/tokens.controller.ts';
import { loadUser } from '../users.controller.ts';

/**
 * A staff account's personal access tokens, as someone with users.manage sees them on the account's
 * page. Deactivating the account already stops them; revoking one here ends it for good.
 */

// GET /users/:id, ahead of users.show: the account's tokens for its page (users.show 404s a missing account).
export async function load(req: Request, res: Response, next: NextFunction): Promise<void> {
  const [tokens, timeZone] = await Promise.all([personalTokensOf(idParam(req.params.id)), tenantTimeZone()]);
  res.locals.tokenRows = tokenRows(tokens, timeZone);
  next();
}

// POST /users/:id/tokens/:tokenId/delete: a token of another account, or none, is a 404.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const revoked = await revokeTokenOf(user, idParam(req.params.tokenId));
  req.flash(
    'success',
    revoked ? `The token "${revoked.name}" of ${user.name} was revoked.` : 'That token was already revoked.',
  );
  res.redirect(`/users/${user.id}`);
}
