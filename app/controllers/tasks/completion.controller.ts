import type { Request, Response } from 'express';
import { AuditLog } from '../../models/audit-log.ts';
import type { Task, TaskStatus } from '../../models/task.ts';
import { loadTask, requireWork } from '../../policies/project.policy.ts';
import * as audit from '../../services/audit.ts';
import { signedInUser } from '../signed-in.ts';
import { backTo, recordOf, renderShow, saveStatusChange, snapshot } from '../tasks.controller.ts';

/** A task's completion: marking it done, and reopening it. */

// POST /tasks/:id/completion
export async function create(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  if (task.status !== 'done') {
    const before = await snapshot(task);
    await task.update({ status: 'done', completedAt: new Date() });
    await audit.record({ action: 'task.completed', ...recordOf(task), before, after: await snapshot(task) });
  }
  req.flash('success', `${task.title} is done.`);
  res.redirect(backTo(req, task));
}

// POST /tasks/:id/completion/delete: back to the status it had before it was done (and out of the
// archive, within the plan's task limit).
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  if (task.status === 'done') {
    const before = await snapshot(task);
    const status = await statusBeforeDone(task);
    const reopen = async (fromArchive: { archivedAt?: null }) => {
      await task.update({ status, completedAt: null, ...fromArchive });
      await audit.record({ action: 'task.reopened', ...recordOf(task), before, after: await snapshot(task) });
    };
    const refused = await saveStatusChange(task, status, signedInUser(req), reopen);
    if (refused) return renderShow(req, res, v, 422, { _: refused });
  }
  req.flash('success', `${task.title} is open again.`);
  res.redirect(backTo(req, task));
}

const OPEN: readonly TaskStatus[] = ['todo', 'in_progress', 'review'];

/** The status the task left when it last became done, read from its history; "todo" when unknown. */
async function statusBeforeDone(task: Task): Promise<TaskStatus> {
  const entry = await AuditLog.findOne({
    where: { recordType: 'task', recordId: String(task.id), changes: { status: { to: 'done' } } },
    order: [['id', 'DESC']],
  });
  const from = entry?.changes.status?.from;
  return OPEN.find((s) => s === from) ?? 'todo';
}
