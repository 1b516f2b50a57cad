import { Op } from 'sequelize';
import { currentTransaction } from '../../db/transaction-context.ts';
import { log } from '../../logger.ts';
import { Attachment } from '../../models/attachment.ts';
import { requireTenant, withTenant } from '../../tenancy/context.ts';
import { fileStore } from '../storage.ts';

/**
 * Removes the files attached to the given tasks once the deletion that takes their rows commits.
 * Call it inside that transaction, before the rows go; a rolled-back deletion keeps its files.
 */
export async function removeTaskFilesAfterCommit(taskIds: string[]): Promise<void> {
  if (!taskIds.length) return;
  const rows = await Attachment.findAll({
    where: { taskId: { [Op.in]: taskIds.map(String) } },
    attributes: ['id', 'fileKey'],
  });
  if (!rows.length) return;
  const tenant = requireTenant();
  const keys = rows.map((r) => r.fileKey);
  const remove = () =>
    withTenant(tenant, async () => {
      for (const key of keys)
        await fileStore
          .remove(key)
          .catch((err: unknown) => log().warn({ err, key }, 'attachment file not removed'));
    });
  const transaction = currentTransaction();
  if (transaction) transaction.afterCommit(remove);
  else await remove();
}
