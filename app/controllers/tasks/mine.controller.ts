import type { Request, Response } from 'express';
import { DUE_BUCKETS, myTasks, tenantClock } from '../../services/task-queries.ts';
import { pageLocals } from '../projects.controller.ts';
import { signedInUser } from '../signed-in.ts';

/** The signed-in person's open tasks, by when they are due. */

// GET /tasks/mine
export async function index(req: Request, res: Response): Promise<void> {
  const clock = await tenantClock();
  const groups = await myTasks(signedInUser(req), clock);
  const open = [...groups.values()].reduce((n, list) => n + list.length, 0);
  res.render('tasks/mine', { title: 'My tasks', groups, buckets: DUE_BUCKETS, open, ...pageLocals(clock) });
}
