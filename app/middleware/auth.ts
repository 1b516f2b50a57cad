import type { NextFunction, Request, Response } from 'express';
import { type Capability, levelCan } from '../auth/capabilities.ts';
import { Forbidden, Unauthorized } from '../errors.ts';
import { PlatformAdmin } from '../models/platform-admin.ts';
import { User } from '../models/user.ts';
import { vocabularyFor } from '../services/vocabulary.ts';
import { setActor } from '../tenancy/context.ts';

export function currentUser(req: Request): User | null {
  return req.user instanceof User ? req.user : null;
}

export function currentAdmin(req: Request): PlatformAdmin | null {
  return req.user instanceof PlatformAdmin ? req.user : null;
}

/** Exposes the signed-in person to views and to the audit log. */
export function exposeUser(req: Request, res: Response, next: NextFunction): void {
  const user = currentUser(req);
  const admin = currentAdmin(req);
  res.locals.currentUser = user;
  res.locals.currentAdmin = admin;
  res.locals.can = (capability: Capability) => (user ? levelCan(user.permissionLevel, capability) : false);
  res.locals.words = vocabularyFor(req.tenant?.kind);
  setActor(
    user
      ? { id: user.id, name: user.name }
      : admin
        ? { id: null, name: `platform admin ${admin.email}` }
        : null,
    req.ip,
  );
  next();
}

function refuse(req: Request, res: Response, next: NextFunction, loginPath: string): void {
  if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
    res.redirect(`${loginPath}?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  next(new Unauthorized());
}

/** A signed-in staff member of this tenant. */
export function requireAuth(req: Request, res: Response, next: NextFunction): void {
  if (!currentUser(req)) return refuse(req, res, next, '/login');
  next();
}

/** A signed-in staff member whose permission level grants `capability`. */
export function can(capability: Capability) {
  const requireCapability = (req: Request, res: Response, next: NextFunction): void => {
    const user = currentUser(req);
    if (!user) return refuse(req, res, next, '/login');
    if (!levelCan(user.permissionLevel, capability)) return next(new Forbidden());
    next();
  };
  // Named on the function so the route table can be checked against the capability table.
  return Object.assign(requireCapability, { capability });
}

/** A signed-in platform admin (root domain only). */
export function requireAdmin(req: Request, res: Response, next: NextFunction): void {
  if (!currentAdmin(req)) return refuse(req, res, next, '/admin/login');
  next();
}
