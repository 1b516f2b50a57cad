import { Conflict } from '../errors.ts';
import type { User } from '../models/user.ts';

/**
 * Per-record rules for staff accounts. The route line has already required `users.manage`; these
 * say whether an account is in a state where the action makes sense. (The rule that a tenant keeps
 * an active super admin needs the database and a lock, so it lives in the User model.)
 */
export type UserAction = 'deactivate' | 'reactivate' | 'resendInvitation';

export interface UserFacts {
  /** The person has not chosen a password yet. */
  invitationPending: boolean;
}

/** Why `action` cannot be done to `user` now, or null when it can. */
export function refusal(
  action: UserAction,
  user: User,
  facts: UserFacts = { invitationPending: false },
): string | null {
  switch (action) {
    case 'deactivate':
      return user.active ? null : `${user.name} is already deactivated.`;
    case 'reactivate':
      return user.active ? `${user.name} is already active.` : null;
    case 'resendInvitation':
      if (!user.active) return `${user.name} is deactivated. Reactivate the account first.`;
      return facts.invitationPending
        ? null
        : `${user.name} has already chosen a password. They can use "Forgot your password?" to choose a new one.`;
  }
}

export function allows(action: UserAction, user: User, facts?: UserFacts): boolean {
  return refusal(action, user, facts) === null;
}

/** Throws a 409 that says why, right after the record is loaded. */
export function authorize(action: UserAction, user: User, facts?: UserFacts): void {
  const why = refusal(action, user, facts);
  if (why) throw new Conflict(why);
}
