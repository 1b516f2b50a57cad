import type { Request, Response } from 'express';
import { PlanLimitReached } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import { LastSuperAdminError } from '../../models/user.ts';
import { deactivateUser, reactivateUser } from '../../services/people/users.ts';
import { loadUser, renderShow } from '../users.controller.ts';

/** Whether a staff account may sign in: reactivating creates the activation, deactivating destroys it. */

// POST /users/:id/activation: an active account takes a place of the plan, as an invitation does.
export async function create(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const refused = await reactivateUser(user, currentUser(req)).then(
    () => null,
    (err: unknown) => refusalOf(err, PlanLimitReached),
  );
  if (refused) return renderShow(res, user, 422, refused);
  req.flash('success', `${user.name} can sign in again.`);
  res.redirect(`/users/${user.id}`);
}

// POST /users/:id/activation/delete: signs the person out everywhere and keeps them out.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const refused = await deactivateUser(user).then(
    () => null,
    (err: unknown) => refusalOf(err, LastSuperAdminError),
  );
  if (refused) return renderShow(res, user, 409, refused);
  req.flash('success', `${user.name} was deactivated and can no longer sign in.`);
  res.redirect(`/users/${user.id}`);
}

/** The message of a refusal the page explains itself; any other error goes on to the error handler. */
function refusalOf(err: unknown, shown: new (...args: never[]) => Error): string {
  if (err instanceof shown) return err.message;
  throw err;
}
