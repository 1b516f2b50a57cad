import type { Request } from 'express';
import { Unauthorized } from '../errors.ts';
import { currentUser } from '../middleware/auth.ts';
import type { User } from '../models/user.ts';

/** The signed-in staff member; a 401 when there is none (routes behind requireAuth/can always have one). */
export function signedInUser(req: Request): User {
  const user = currentUser(req);
  if (!user) throw new Unauthorized();
  return user;
}

/** `raw` when it is a path of this site (never another host, no control characters or spaces), else null. */
export function localPath(raw: unknown): string | null {
  return typeof raw === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(raw) ? raw : null;
}
