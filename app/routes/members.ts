import { Router } from 'express';
import * as households from '../controllers/households.controller.ts';
import * as memberExport from '../controllers/members/export.controller.ts';
import * as memberImport from '../controllers/members/import.controller.ts';
import * as importConfirmation from '../controllers/members/import-confirmation.controller.ts';
import * as members from '../controllers/members.controller.ts';
import { can } from '../middleware/auth.ts';

/** The members area of a tenant's host. Each line names the access it needs. */
export function membersRoutes(): Router {
  const r = Router();
  r.get('/members', can('members.view'), members.index);
  r.get('/members/new', can('members.edit'), members.newMember);
  r.post('/members', can('members.edit'), members.create);
  r.get('/members/export.csv', can('members.view'), memberExport.show);
  r.get('/members/import', can('members.edit'), memberImport.newImport);
  r.post('/members/import', can('members.edit'), memberImport.create);
  r.post('/members/import/delete', can('members.edit'), memberImport.destroy);
  r.post('/members/import/confirm', can('members.edit'), importConfirmation.create);
  r.get('/members/:id', can('members.view'), members.show);
  r.get('/members/:id/edit', can('members.edit'), members.edit);
  r.post('/members/:id', can('members.edit'), members.update);
  r.post('/members/:id/delete', can('members.edit'), members.destroy);

  r.get('/households', can('members.view'), households.index);
  r.get('/households/new', can('members.edit'), households.newHousehold);
  r.post('/households', can('members.edit'), households.create);
  r.get('/households/:id', can('members.view'), households.show);
  r.get('/households/:id/edit', can('members.edit'), households.edit);
  r.post('/households/:id', can('members.edit'), households.update);
  r.post('/households/:id/delete', can('members.edit'), households.destroy);
  return r;
}
