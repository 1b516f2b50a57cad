import { QueryTypes } from 'sequelize';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import type { User } from '../../models/user.ts';
import * as audit from '../audit.ts';

/**
 * "E-mail me task reminders" (users.task_reminders, on by default): whether the due-soon and overdue
 * jobs e-mail this person. The notices in the app are sent either way.
 */
export async function taskRemindersOn(userId: string): Promise<boolean> {
  const [row] = await db().query<{ on: boolean }>('SELECT task_reminders AS "on" FROM users WHERE id = $1', {
    bind: [userId],
    type: QueryTypes.SELECT,
  });
  return row?.on ?? true;
}

/** Turns the signed-in person's reminder e-mails on or off; a change is audited. */
export function setTaskReminders(user: User, on: boolean): Promise<void> {
  return inTransaction(db(), async () => {
    const before = await taskRemindersOn(String(user.id));
    if (before === on) return;
    await db().query('UPDATE users SET task_reminders = $1 WHERE id = $2', { bind: [on, user.id] });
    await audit.record({
      action: 'profile.updated',
      recordType: 'user',
      recordId: String(user.id),
      recordLabel: user.email,
      before: { taskReminders: before },
      after: { taskReminders: on },
    });
  });
}
