import { expect } from 'chai';
import type { Socket } from 'socket.io-client';
import supertest from 'supertest';
import { Notification, type Tenant, type User } from '../../app/models/index.ts';
import { notify } from '../../app/services/notifications.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';
import {
  hostOfTenant,
  inbox,
  nextNotification,
  openSocket,
  pause,
  sessionCookie,
  startWebServer,
  upgraded,
  type WebServer,
} from './support.ts';

describe('realtime notifications', function () {
  this.timeout(30_000);
  let web: WebServer;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let ana: User;
  let ben: User;
  let bea: User;
  let cookieAna: string;
  let cookieBen: string;
  let cookieBea: string;
  const sockets: Socket[] = [];

  const keep = (s: Socket) => {
    sockets.push(s);
    return s;
  };

  before(async () => {
    web = await startWebServer();
    tenantA = await createTenant({ kind: 'church' });
    tenantB = await createTenant({ kind: 'company' });
    ana = await createUser(tenantA, { level: 5, name: 'Ana Realtime' });
    ben = await createUser(tenantA, { level: 5, name: 'Ben Realtime' });
    bea = await createUser(tenantB, { level: 5, name: 'Bea Realtime' });
    cookieAna = await sessionCookie(web, hostOfTenant(tenantA), ana.email);
    cookieBen = await sessionCookie(web, hostOfTenant(tenantA), ben.email);
    cookieBea = await sessionCookie(web, hostOfTenant(tenantB), bea.email);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  after(async () => {
    await web?.close();
  });

  it("delivers a notification to its user's open page within a second, as saved", async () => {
    const socket = keep(await openSocket(web, hostOfTenant(tenantA), cookieAna));
    expect(await upgraded(socket)).to.equal('websocket');
    const arriving = nextNotification(socket, 1000);
    const started = Date.now();
    const row = await withTenant(tenantA.toRef(), () =>
      notify({ userId: ana.id, kind: 'task.assigned', title: 'Paint the hall', url: '/tasks/9' }),
    );
    const payload = await arriving;
    expect(Date.now() - started).to.be.below(1000);
    expect(payload).to.include({
      id: row?.id,
      kind: 'task.assigned',
      title: 'Paint the hall',
      url: '/tasks/9',
    });
    const stored = await withTenant(tenantA.toRef(), () => Notification.findByPk(payload.id));
    expect(stored?.userId).to.equal(ana.id);
    expect(stored?.title).to.equal('Paint the hall');
  });

  it('delivers over long-polling too, before any upgrade', async () => {
    const socket = keep(await openSocket(web, hostOfTenant(tenantA), cookieAna, { transports: ['polling'] }));
    expect(socket.io.engine.transport.name).to.equal('polling');
    const arriving = nextNotification(socket, 1000);
    await withTenant(tenantA.toRef(), () =>
      notify({ userId: ana.id, kind: 'task.commented', title: 'Polled' }),
    );
    expect((await arriving).title).to.equal('Polled');
  });

  it('sends nothing to another user of the tenant, nor to a user of tenant B with the same id', async () => {
    expect(bea.id, 'the two users share an id in their own tenants').to.equal(ana.id);
    const mine = keep(await openSocket(web, hostOfTenant(tenantA), cookieAna));
    const colleague = keep(await openSocket(web, hostOfTenant(tenantA), cookieBen));
    const otherTenant = keep(await openSocket(web, hostOfTenant(tenantB), cookieBea));
    const [gotMine, gotColleague, gotOther] = [inbox(mine), inbox(colleague), inbox(otherTenant)];
    await withTenant(tenantA.toRef(), () =>
      notify({ userId: ana.id, kind: 'task.assigned', title: 'Only Ana' }),
    );
    await pause(400);
    expect(gotMine.map((p) => p.title)).to.deep.equal(['Only Ana']);
    expect(gotColleague).to.deep.equal([]);
    expect(gotOther).to.deep.equal([]);

    await withTenant(tenantB.toRef(), () =>
      notify({ userId: bea.id, kind: 'task.assigned', title: 'Only Bea' }),
    );
    await pause(400);
    expect(gotOther.map((p) => p.title)).to.deep.equal(['Only Bea']);
    expect(gotMine.map((p) => p.title)).to.deep.equal(['Only Ana']);
  });

  it('refuses a socket without a session, or with a cookie that is not a session', async () => {
    for (const cookie of [null, 'steward.sid=s%3Anot-a-session.bad']) {
      let refused: Error | null = null;
      await openSocket(web, hostOfTenant(tenantA), cookie).then(keep, (err) => {
        refused = err;
      });
      expect(refused, String(cookie)).to.be.instanceOf(Error);
      expect((refused as Error | null)?.message).to.equal('unauthorized');
    }
  });

  it("refuses a session of tenant A presented on tenant B's host or on the platform host", async () => {
    for (const host of [hostOfTenant(tenantB), 'localhost']) {
      let refused: Error | null = null;
      await openSocket(web, host, cookieAna).then(keep, (err) => {
        refused = err;
      });
      expect(refused, host).to.be.instanceOf(Error);
      expect((refused as Error | null)?.message).to.equal('unauthorized');
    }
    // The refused attempts did not sign Ana out on her own host.
    keep(await openSocket(web, hostOfTenant(tenantA), cookieAna));
  });

  it('refuses a signed-out session and a deactivated account', async () => {
    const leaving = await createUser(tenantA, { level: 5 });
    const agent = supertest.agent(web.server);
    const host = hostOfTenant(tenantA);
    const cookie = await sessionCookie(web, host, leaving.email);
    const _csrf = await csrfToken(agent.set('Cookie', cookie), host, '/');
    const out = await agent
      .post('/logout')
      .set('Host', host)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf });
    expect(out.status).to.equal(302);
    let refused: Error | null = null;
    await openSocket(web, host, cookie).then(keep, (err) => {
      refused = err;
    });
    expect(refused).to.be.instanceOf(Error);

    const gone = await createUser(tenantA, { level: 5 });
    const goneCookie = await sessionCookie(web, host, gone.email);
    await withTenant(tenantA.toRef(), () => gone.update({ active: false }));
    refused = null;
    await openSocket(web, host, goneCookie).then(keep, (err) => {
      refused = err;
    });
    expect(refused).to.be.instanceOf(Error);
  });

  it('keeps a notification made while no page was open, for the next page load', async () => {
    const row = await withTenant(tenantA.toRef(), () =>
      notify({ userId: ben.id, kind: 'group.member_added', title: 'Nobody listening' }),
    );
    const stored = await withTenant(tenantA.toRef(), () => Notification.findByPk(row?.id));
    expect(stored?.readAt).to.equal(null);
  });
});
