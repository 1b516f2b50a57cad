import { expect } from 'chai';
import type { Socket } from 'socket.io-client';
import { Notification, type Tenant, type User } from '../../app/models/index.ts';
import { notify } from '../../app/services/notifications.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';
import {
  hostOfTenant,
  inbox,
  nextNotification,
  openSocket,
  pause,
  sessionCookie,
  startWebServer,
  type WebServer,
} from './support.ts';

describe('realtime notifications across web processes', function () {
  this.timeout(30_000);
  let first: WebServer;
  let second: WebServer;
  let tenant: Tenant;
  let other: Tenant;
  let user: User;
  let stranger: User;
  const sockets: Socket[] = [];

  before(async function () {
    if (!config.REDIS_URL) this.skip();
    // Two web processes in miniature, each with its own socket.io server, joined through Redis.
    first = await startWebServer();
    second = await startWebServer({ installPublisher: false });
    tenant = await createTenant({ kind: 'company' });
    other = await createTenant({ kind: 'company' });
    user = await createUser(tenant, { level: 5 });
    stranger = await createUser(other, { level: 5 });
  });
  after(async () => {
    for (const s of sockets.splice(0)) s.close();
    await first?.close();
    await second?.close();
  });

  it('delivers a notification made in one process to a page connected to the other', async () => {
    // Signed in through the first process, connected to the second: sessions are shared too.
    const cookie = await sessionCookie(first, hostOfTenant(tenant), user.email);
    const socket = await openSocket(second, hostOfTenant(tenant), cookie);
    sockets.push(socket);
    const strangerSocket = await openSocket(
      second,
      hostOfTenant(other),
      await sessionCookie(second, hostOfTenant(other), stranger.email),
    );
    sockets.push(strangerSocket);
    const strangerGot = inbox(strangerSocket);

    const arriving = nextNotification(socket, 1000);
    const started = Date.now();
    // notify() publishes through the first process's socket server (the installed publisher).
    const row = await withTenant(tenant.toRef(), () =>
      notify({ userId: user.id, kind: 'task.assigned', title: 'Across processes', url: '/tasks/3' }),
    );
    const payload = await arriving;
    expect(Date.now() - started).to.be.below(1000);
    expect(payload).to.include({ id: row?.id, title: 'Across processes', url: '/tasks/3' });
    expect(
      await withTenant(tenant.toRef(), () => Notification.count({ where: { id: payload.id } })),
    ).to.equal(1);
    await pause(300);
    expect(strangerGot, 'a user of another tenant with the same id').to.deep.equal([]);
    expect(stranger.id).to.equal(user.id);
  });
});
