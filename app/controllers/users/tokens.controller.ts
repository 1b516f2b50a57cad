import type { Request, Response } from 'express';
import { idParam } from '../../validators/common.ts';
import { revokeTokenOf } from '../profile/tokens.controller.ts';
import { loadUser } from '../users.controller.ts';

/**
 * A staff account's personal access tokens, as someone with users.manage sees them on the account's
 * page. Deactivating the account already stops them; revoking one here ends it for good.
 */

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
