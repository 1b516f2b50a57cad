import { Router } from 'express';
import * as audit from '../controllers/audit.controller.ts';
import * as planRequests from '../controllers/billing/plan-requests.controller.ts';
import * as billing from '../controllers/billing.controller.ts';
import * as handoffs from '../controllers/handoffs.controller.ts';
import * as home from '../controllers/home.controller.ts';
import * as invitations from '../controllers/invitations.controller.ts';
import * as passwordResets from '../controllers/password-resets.controller.ts';
import * as profileSessions from '../controllers/profile/sessions.controller.ts';
import * as profileTokens from '../controllers/profile/tokens.controller.ts';
import * as profile from '../controllers/profile.controller.ts';
import * as roles from '../controllers/roles.controller.ts';
import * as sessions from '../controllers/sessions.controller.ts';
import * as settings from '../controllers/settings.controller.ts';
import * as userActivation from '../controllers/users/activation.controller.ts';
import * as userInvitation from '../controllers/users/invitation.controller.ts';
import * as ownPassword from '../controllers/users/password.controller.ts';
import * as userTokens from '../controllers/users/tokens.controller.ts';
import * as users from '../controllers/users.controller.ts';
import { can, requireAuth } from '../middleware/auth.ts';
import { attemptLimit } from '../middleware/rate-limit.ts';

/** A tenant's own host. Each line names the access it needs. */
export function tenantRoutes(): Router {
  const r = Router();
  r.get('/', home.show);

  r.get('/login', sessions.newSession);
  r.post('/login', sessions.loginAttempts(), sessions.create);
  r.post('/logout', sessions.destroy);
  r.get('/session/handoff/:token', handoffs.show);
  r.get('/password/forgot', passwordResets.newReset);
  r.post('/password/forgot', attemptLimit('reset', 5), passwordResets.create);
  r.get('/password/reset/:token', passwordResets.edit);
  r.post('/password/reset/:token', attemptLimit('reset-use', 10), passwordResets.update);
  r.get('/invitations/:token', invitations.show);
  r.post('/invitations/:token', attemptLimit('invite-use', 10), invitations.update);

  r.get('/users', can('users.manage'), users.index);
  r.get('/users/new', can('users.manage'), users.newUser);
  r.post('/users', can('users.manage'), users.create);
  r.get('/users/:id', can('users.manage'), users.show);
  r.get('/users/:id/edit', can('users.manage'), users.edit);
  r.post('/users/:id', can('users.manage'), users.update);
  r.post('/users/:id/activation', can('users.manage'), userActivation.create);
  r.post('/users/:id/activation/delete', can('users.manage'), userActivation.destroy);
  r.post('/users/:id/invitation', can('users.manage'), userInvitation.create);
  r.post('/users/:id/tokens/:tokenId/delete', can('users.manage'), userTokens.destroy);

  r.get('/roles', can('roles.manage'), roles.index);
  r.get('/roles/new', can('roles.manage'), roles.newRole);
  r.post('/roles', can('roles.manage'), roles.create);
  r.get('/roles/:id/edit', can('roles.manage'), roles.edit);
  r.post('/roles/:id', can('roles.manage'), roles.update);
  r.post('/roles/:id/delete', can('roles.manage'), roles.destroy);

  r.get('/profile', requireAuth, profile.show);
  r.post('/profile', requireAuth, profile.update);
  r.post('/profile/sessions/others/delete', requireAuth, profileSessions.destroyOthers);
  r.get('/profile/tokens', requireAuth, profileTokens.index);
  r.post('/profile/tokens', requireAuth, profileTokens.create);
  r.post('/profile/tokens/:tokenId/delete', requireAuth, profileTokens.destroy);
  r.get('/profile/password', requireAuth, ownPassword.edit);
  r.post('/profile/password', requireAuth, attemptLimit('password-change', 10), ownPassword.update);

  r.get('/settings/edit', can('settings.edit'), settings.edit);
  r.post('/settings', can('settings.edit'), settings.update);

  r.get('/audit', can('audit.view'), audit.index);

  r.get('/billing', can('billing.view'), billing.show);
  r.post('/billing/plan-requests', can('billing.view'), planRequests.create);

  return r;
}
