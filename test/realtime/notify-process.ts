/**
 * Another process making a notification, as the clock, the worker or the CLI does: it boots without
 * a socket server (and without the queue), enters the tenant named on the command line and notifies
 * one of its users. Prints `{"id": ..., "at": ...}` (the notification and when it was made).
 *
 *   node --import tsx test/realtime/notify-process.ts <tenant id> <user id> <title>
 */
import { boot } from '../../app/boot.ts';
import { Tenant } from '../../app/models/index.ts';
import { flushRelay } from '../../app/realtime/relay.ts';
import { notify } from '../../app/services/notifications.ts';
import { withTenant } from '../../app/tenancy/context.ts';

const [tenantId, userId, title] = process.argv.slice(2);
const booted = await boot({ queue: 'off', poolMax: 2 });
try {
  const tenant = await Tenant.findByPk(tenantId);
  if (!tenant) throw new Error(`no tenant ${tenantId}`);
  const at = Date.now();
  const row = await withTenant(tenant.toRef(), () =>
    notify({ userId, kind: 'task.overdue', title, url: '/tasks/7' }),
  );
  await flushRelay();
  process.stdout.write(`${JSON.stringify({ id: row?.id ?? null, at })}\n`);
} finally {
  await booted.shutdown();
}
