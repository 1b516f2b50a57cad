import { Task } from '../models/task.ts';

/**
 * A task whose due date moves is chased again for its new date: the overdue and due-soon jobs
 * look only at tasks whose flag is empty. Installed once by initModels.
 */
export function installTaskHooks(): void {
  Task.removeHook('beforeUpdate', 'resetDueNotices');
  Task.addHook('beforeUpdate', 'resetDueNotices', (task: Task, options: { fields?: string[] }) => {
    if (!task.changed('dueAt')) return;
    task.overdueNotifiedAt = null;
    task.dueSoonNotifiedAt = null;
    // `task.update(values)` saves only the fields it was given; add the two the hook changed.
    if (options.fields)
      for (const field of ['overdueNotifiedAt', 'dueSoonNotifiedAt'])
        if (!options.fields.includes(field)) options.fields.push(field);
  });
}
