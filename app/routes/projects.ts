import { Router } from 'express';
import * as projectMembers from '../controllers/projects/members.controller.ts';
import * as memberRoles from '../controllers/projects/roles.controller.ts';
import * as projects from '../controllers/projects.controller.ts';
import * as completion from '../controllers/tasks/completion.controller.ts';
import * as myTasks from '../controllers/tasks/mine.controller.ts';
import * as tasks from '../controllers/tasks.controller.ts';
import { can, requireAuth } from '../middleware/auth.ts';

/**
 * The projects, their members and tasks of a tenant's host. Each line names the access it needs.
 * Lines marked "scoped" are open to any signed-in staff member: the project policy then shows a
 * project only to its members (and to `projects.manage`), and lets viewers read but not change.
 */
export function projectsRoutes(): Router {
  const r = Router();
  r.get('/projects', requireAuth, projects.index); // scoped: project members
  r.get('/projects/new', can('projects.manage'), projects.newProject);
  r.post('/projects', can('projects.manage'), projects.create);
  r.get('/projects/:id', requireAuth, projects.show); // scoped: project members
  r.get('/projects/:id/edit', requireAuth, projects.edit); // scoped: project members
  r.post('/projects/:id', requireAuth, projects.update); // scoped: project members
  r.post('/projects/:id/delete', requireAuth, projects.destroy); // scoped: project members
  r.post('/projects/:id/members', requireAuth, projectMembers.create); // scoped: project members
  r.post('/projects/:id/members/:userId/delete', requireAuth, projectMembers.destroy); // scoped: project members
  r.post('/projects/:id/members/:userId/role', requireAuth, memberRoles.update); // scoped: project members
  r.get('/projects/:id/tasks/new', requireAuth, tasks.newTask); // scoped: project members
  r.post('/projects/:id/tasks', requireAuth, tasks.create); // scoped: project members

  r.get('/tasks', requireAuth, tasks.index); // scoped: project members
  r.get('/tasks/mine', requireAuth, myTasks.index); // scoped: project members
  r.get('/tasks/:id', requireAuth, tasks.show); // scoped: project members
  r.get('/tasks/:id/edit', requireAuth, tasks.edit); // scoped: project members
  r.post('/tasks/:id', requireAuth, tasks.update); // scoped: project members
  r.post('/tasks/:id/delete', requireAuth, tasks.destroy); // scoped: project members
  r.post('/tasks/:id/completion', requireAuth, completion.create); // scoped: project members
  r.post('/tasks/:id/completion/delete', requireAuth, completion.destroy); // scoped: project members
  return r;
}
