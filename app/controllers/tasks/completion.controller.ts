import type { Request, Response } from 'express';
import { loadTask } from '../../policies/project.policy.ts';
import { completeTask, reopenTask } from '../../services/work/tasks.ts';
import { formRefusal } from '../projects.controller.ts';
import { signedInUser } from '../signed-in.ts';
import { backTo, renderShow } from '../tasks.controller.ts';

/** A task's completion: marking it done, and reopening it. */

// POST /tasks/:id/completion
export async function create(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  const task = await completeTask(v);
  req.flash('success', `${task.title} is done.`);
  res.redirect(backTo(req, task));
}

// POST /tasks/:id/completion/delete: back to the status it had before it was done (and out of the
// archive, within the plan's task limit).
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  const refused = await reopenTask(signedInUser(req), v).then(() => null, formRefusal);
  if (refused) return renderShow(req, res, v, 422, refused);
  req.flash('success', `${v.record.title} is open again.`);
  res.redirect(backTo(req, v.record));
}
