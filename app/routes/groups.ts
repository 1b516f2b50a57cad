import { Router } from 'express';
import * as attendance from '../controllers/events/attendance.controller.ts';
import * as events from '../controllers/events.controller.ts';
import * as groupMembers from '../controllers/groups/members.controller.ts';
import * as groupRoles from '../controllers/groups/roles.controller.ts';
import * as groups from '../controllers/groups.controller.ts';
import { can, requireAuth } from '../middleware/auth.ts';

/**
 * The groups area of a tenant's host: groups, their rosters, events and attendance. Each line names
 * the access it needs; lines marked "scoped" also let group leaders in, and the controller applies
 * app/policies/group.policy.ts (404 for a record out of reach).
 */
export function groupsRoutes(): Router {
  const r = Router();
  r.get('/groups', requireAuth, groups.index); // scoped: group leaders
  r.get('/groups/new', can('members.edit'), groups.newGroup);
  r.post('/groups', can('members.edit'), groups.create);
  r.get('/groups/:id', requireAuth, groups.show); // scoped: group leaders
  r.get('/groups/:id/edit', can('members.edit'), groups.edit);
  r.post('/groups/:id', can('members.edit'), groups.update);
  r.post('/groups/:id/delete', can('members.edit'), groups.destroy);
  r.post('/groups/:id/members', requireAuth, groupMembers.create); // scoped: group leaders
  r.post('/groups/:id/members/:memberId/delete', requireAuth, groupMembers.destroy); // scoped: group leaders
  r.post('/groups/:id/members/:memberId/role', requireAuth, groupRoles.update); // scoped: group leaders

  r.get('/events', requireAuth, events.index); // scoped: group leaders
  r.get('/events/new', requireAuth, events.newEvent); // scoped: group leaders
  r.post('/events', requireAuth, events.create); // scoped: group leaders
  r.get('/events/:id', requireAuth, events.show); // scoped: group leaders
  r.get('/events/:id/edit', requireAuth, events.edit); // scoped: group leaders
  r.post('/events/:id', requireAuth, events.update); // scoped: group leaders
  r.post('/events/:id/delete', requireAuth, events.destroy); // scoped: group leaders
  r.get('/events/:id/attendance', requireAuth, attendance.edit); // scoped: group leaders
  r.post('/events/:id/attendance', requireAuth, attendance.update); // scoped: group leaders
  return r;
}
