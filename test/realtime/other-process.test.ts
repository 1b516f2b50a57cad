import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Socket } from 'socket.io-client';
import { db } from '../../app/db/database.ts';
import { Notification, type Tenant, type User } from '../../app/models/index.ts';
import { NOTIFICATIONS_CHANNEL } from '../../app/realtime/relay.ts';
import { type NotificationPayload, notify, userRoom } from '../../app/services/notifications.ts';
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

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'notify-process.ts');

/** Runs notify-process.ts in a process of its own; resolves with what it made and when. */
function notifyFromAnotherProcess(
  env: NodeJS.ProcessEnv,
  tenant: Tenant,
  user: User,
  title: string,
): Promise<{ id: string; at: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, tenant.id, user.id, title], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the notifying process exited with ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? ''));
    });
  });
}

/** The next notification on `socket` and the moment it arrived. */
function arrival(socket: Socket, ms: number): Promise<{ payload: NotificationPayload; at: number }> {
  return nextNotification(socket, ms).then((payload) => ({ payload, at: Date.now() }));
}

function withoutRedis(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.REDIS_URL;
  return env;
}

for (const mode of ['PostgreSQL NOTIFY', 'Redis'] as const) {
  describe(`realtime notifications made in another process, through ${mode}`, function () {
    this.timeout(60_000);
    const viaRedis = mode === 'Redis';
    let web: WebServer;
    let tenant: Tenant;
    let other: Tenant;
    let user: User;
    let stranger: User;
    const sockets: Socket[] = [];
    const keep = (s: Socket) => {
      sockets.push(s);
      return s;
    };

    before(async function () {
      if (viaRedis && !config.REDIS_URL) this.skip();
      web = await startWebServer(viaRedis ? {} : { redisUrl: null });
      tenant = await createTenant({ kind: 'company' });
      other = await createTenant({ kind: 'company' });
      user = await createUser(tenant, { level: 5 });
      stranger = await createUser(other, { level: 5 });
    });
    afterEach(() => {
      for (const s of sockets.splice(0)) s.close();
    });
    after(async () => {
      await web?.close();
    });

    it("reaches the user's open page within a second, and never the same user id of another tenant", async () => {
      expect(stranger.id, 'a user of another tenant with the same id').to.equal(user.id);
      const socket = keep(
        await openSocket(
          web,
          hostOfTenant(tenant),
          await sessionCookie(web, hostOfTenant(tenant), user.email),
        ),
      );
      const strangerSocket = keep(
        await openSocket(
          web,
          hostOfTenant(other),
          await sessionCookie(web, hostOfTenant(other), stranger.email),
        ),
      );
      const strangerGot = inbox(strangerSocket);
      const got = inbox(socket);

      const arriving = arrival(socket, 30_000);
      const made = await notifyFromAnotherProcess(
        viaRedis ? process.env : withoutRedis(),
        tenant,
        user,
        `Overdue, told by another process (${mode})`,
      );
      const { payload, at } = await arriving;
      expect(at - made.at, 'from notify() in the other process to the page').to.be.below(1000);
      expect(payload).to.include({
        id: made.id,
        kind: 'task.overdue',
        title: `Overdue, told by another process (${mode})`,
        url: '/tasks/7',
      });
      const saved = await withTenant(tenant.toRef(), () => Notification.findByPk(made.id));
      expect(saved?.userId).to.equal(user.id);
      await pause(300);
      expect(
        got.map((p) => p.id),
        'delivered once',
      ).to.deep.equal([made.id]);
      expect(strangerGot).to.deep.equal([]);
      expect(
        await withTenant(other.toRef(), () => Notification.count({ where: { userId: stranger.id } })),
      ).to.equal(0);
    });

    it('delivers a notification made in the web process itself once', async () => {
      const socket = keep(
        await openSocket(
          web,
          hostOfTenant(tenant),
          await sessionCookie(web, hostOfTenant(tenant), user.email),
        ),
      );
      const got = inbox(socket);
      const arriving = nextNotification(socket, 1000);
      const row = await withTenant(tenant.toRef(), () =>
        notify({ userId: user.id, kind: 'task.assigned', title: 'Made right here' }),
      );
      expect((await arriving).id).to.equal(row?.id);
      await pause(400);
      expect(got.map((p) => p.id)).to.deep.equal([row?.id]);
    });
  });
}

describe('realtime notifications between web processes without Redis', function () {
  this.timeout(30_000);
  let first: WebServer;
  let second: WebServer;
  let tenant: Tenant;
  let user: User;
  const sockets: Socket[] = [];

  before(async () => {
    first = await startWebServer({ redisUrl: null });
    second = await startWebServer({ redisUrl: null, installPublisher: false });
    tenant = await createTenant({ kind: 'company' });
    user = await createUser(tenant, { level: 5 });
  });
  after(async () => {
    for (const s of sockets.splice(0)) s.close();
    await first?.close();
    await second?.close();
  });

  it("carries a notification made through one web process's socket server to a page on the other, once each", async () => {
    const cookie = await sessionCookie(first, hostOfTenant(tenant), user.email);
    const onFirst = await openSocket(first, hostOfTenant(tenant), cookie);
    const onSecond = await openSocket(second, hostOfTenant(tenant), cookie);
    sockets.push(onFirst, onSecond);
    const gotFirst = inbox(onFirst);
    const gotSecond = inbox(onSecond);
    const arriving = nextNotification(onSecond, 1000);
    const row = await withTenant(tenant.toRef(), () =>
      notify({ userId: user.id, kind: 'task.commented', title: 'Through PostgreSQL' }),
    );
    expect((await arriving).id).to.equal(row?.id);
    await pause(400);
    expect(gotFirst.map((p) => p.id)).to.deep.equal([row?.id]);
    expect(gotSecond.map((p) => p.id)).to.deep.equal([row?.id]);
  });

  it('ignores a NOTIFY that names no single room or an event it does not relay', async () => {
    const cookie = await sessionCookie(first, hostOfTenant(tenant), user.email);
    const socket = await openSocket(second, hostOfTenant(tenant), cookie);
    sockets.push(socket);
    const got = inbox(socket);
    const events: unknown[] = [];
    socket.onAny((event: string) => events.push(event));
    const room = userRoom(tenant.id, user.id);
    const send = (message: unknown) =>
      db().query('SELECT pg_notify(:channel, :payload)', {
        replacements: { channel: NOTIFICATIONS_CHANNEL, payload: JSON.stringify(message) },
      });
    await send({ o: 'elsewhere', r: `${room}*`, e: 'notification', d: { id: '1', title: 'wildcard' } });
    await send({ o: 'elsewhere', r: room, e: 'settings', d: { id: '2' } });
    await send({ o: 'elsewhere', r: room, e: 'notification', d: 'not an object' });
    await send('not a message');
    await send({ o: 'elsewhere', r: room, e: 'notification', d: { id: '3', title: 'well formed' } });
    await pause(500);
    expect(
      got.map((p) => p.id),
      'only the well-formed message for this room',
    ).to.deep.equal(['3']);
    expect(events, 'no other event').to.deep.equal(['notification']);
  });
});
