import { Agent } from 'node:http';
import { expect } from 'chai';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { PlatformAdmin, type Tenant, User } from '../../app/models/index.ts';
import {
  createAdminToken,
  createPersonalToken,
  issueTokens,
  revokePersonalToken,
} from '../../app/services/api-tokens.ts';
import { notify } from '../../app/services/notifications.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant, testPasswordHash, uniqueSlug } from '../support/factories.ts';
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

// Every host name resolves to this machine, so `<slug>.localhost:<port>` reaches the test server.
const loopback = new Agent({
  keepAlive: true,
  lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
} as ConstructorParameters<typeof Agent>[0]);

/** A socket.io client as an API program opens it: no cookie, the token in the handshake's `auth`. */
function tokenSocket(
  web: WebServer,
  host: string,
  token: unknown,
  opts: { cookie?: string; transports?: ('polling' | 'websocket')[] } = {},
): Promise<Socket> {
  const socket = connectSocket(`http://${host}:${web.port}`, {
    transports: opts.transports ?? ['polling', 'websocket'],
    agent: loopback as unknown as string,
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : {},
    auth: { token },
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

describe('realtime notifications for API tokens', function () {
  this.timeout(30_000);
  let web: WebServer;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let ana: User;
  let ben: User;
  let hostA: string;
  let hostB: string;
  const sockets: Socket[] = [];

  const keep = (s: Socket) => {
    sockets.push(s);
    return s;
  };

  /** The server's refusal of a socket that should not connect (the test fails when it connects). */
  async function refusal(opening: Promise<Socket>): Promise<string> {
    const outcome = await opening.then(
      (s) => {
        keep(s);
        return null;
      },
      (err: Error) => err.message,
    );
    expect(outcome, 'the socket was refused').to.be.a('string');
    return outcome as string;
  }

  const pat = (tenant: Tenant, user: User, expiresAt: Date | null = null) =>
    withTenant(tenant.toRef(), () =>
      createPersonalToken(String(user.id), { name: 'socket test', scope: 'read', expiresAt }),
    );

  /** An access token as POST /api/v1/token gives it to a client of `host` (by default the tenant's, port included). */
  const accessToken = (tenant: Tenant, user: User, host = `${hostOfTenant(tenant)}:${web.port}`) =>
    withTenant(tenant.toRef(), async () => {
      const withRoles = await User.findByPk(user.id, { include: [{ association: 'roles' }] });
      if (!withRoles) throw new Error('no such user');
      return (await issueTokens(withRoles, host, 'test')).accessToken;
    });

  before(async () => {
    web = await startWebServer();
    tenantA = await createTenant({ kind: 'church' });
    tenantB = await createTenant({ kind: 'company' });
    hostA = hostOfTenant(tenantA);
    hostB = hostOfTenant(tenantB);
    ana = await createUser(tenantA, { level: 5, name: 'Ana Token' });
    ben = await createUser(tenantA, { level: 5, name: 'Ben Token' });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  after(async () => {
    await web?.close();
  });

  it("delivers a notification to a socket opened with a personal access token, in the user's own room", async () => {
    const { token } = await pat(tenantA, ana);
    const withToken = keep(await tokenSocket(web, hostA, token));
    const withCookie = keep(await openSocket(web, hostA, await sessionCookie(web, hostA, ana.email)));
    const colleague = keep(await tokenSocket(web, hostA, (await pat(tenantA, ben)).token));
    const [gotToken, gotCookie, gotColleague] = [inbox(withToken), inbox(withCookie), inbox(colleague)];
    const row = await withTenant(tenantA.toRef(), () =>
      notify({ userId: ana.id, kind: 'task.assigned', title: 'For Ana', url: '/tasks/1' }),
    );
    await pause(400);
    expect(gotToken.map((p) => p.id)).to.deep.equal([row?.id]);
    expect(gotToken[0]).to.include({ title: 'For Ana', url: '/tasks/1' });
    expect(
      gotCookie.map((p) => p.id),
      'the cookie socket of the same user',
    ).to.deep.equal([row?.id]);
    expect(gotColleague).to.deep.equal([]);
  });

  it('delivers to a socket opened with an access token, over long-polling and over a WebSocket only', async () => {
    const token = await accessToken(tenantA, ana);
    for (const transports of [['polling'], ['websocket']] as const) {
      const socket = keep(await tokenSocket(web, hostA, token, { transports: [...transports] }));
      const arriving = nextNotification(socket, 1000);
      await withTenant(tenantA.toRef(), () =>
        notify({ userId: ana.id, kind: 'task.commented', title: `Over ${transports[0]}` }),
      );
      expect((await arriving).title).to.equal(`Over ${transports[0]}`);
    }
  });

  it("refuses a token of tenant A on tenant B's host and on the platform host", async () => {
    const { token } = await pat(tenantA, ana);
    const access = await accessToken(tenantA, ana);
    for (const [host, t] of [
      [hostB, token],
      [hostB, access],
      ['localhost', token],
      ['localhost', access],
    ]) {
      expect(await refusal(tokenSocket(web, host, t)), `${host} ${t.slice(0, 8)}`).to.equal('unauthorized');
    }
    // The same tokens still open a socket on their own host.
    keep(await tokenSocket(web, hostA, token));
    keep(await tokenSocket(web, hostA, access));
  });

  it('refuses an access token made for another host name of the tenant', async () => {
    const access = await accessToken(tenantA, ana);
    // A token whose audience names another port of the same name was given to another site.
    const otherPort = await accessToken(tenantA, ana, `${hostA}:1`);
    expect(await refusal(tokenSocket(web, hostA, otherPort))).to.equal('unauthorized');
    keep(await tokenSocket(web, hostA, access));
  });

  it('refuses an expired or revoked token, and a token of a deactivated account', async () => {
    const expired = await pat(tenantA, ana, new Date(Date.now() - 60_000));
    expect(await refusal(tokenSocket(web, hostA, expired.token))).to.equal('unauthorized');

    const revoked = await pat(tenantA, ana);
    keep(await tokenSocket(web, hostA, revoked.token));
    const done = await withTenant(tenantA.toRef(), () =>
      revokePersonalToken(String(ana.id), revoked.record.id),
    );
    expect(done?.revokedAt).to.be.instanceOf(Date);
    expect(await refusal(tokenSocket(web, hostA, revoked.token))).to.equal('unauthorized');

    const leaving = await createUser(tenantA, { level: 5 });
    const theirs = await pat(tenantA, leaving);
    const access = await accessToken(tenantA, leaving);
    keep(await tokenSocket(web, hostA, theirs.token));
    await withTenant(tenantA.toRef(), () => leaving.update({ active: false }));
    expect(await refusal(tokenSocket(web, hostA, theirs.token))).to.equal('unauthorized');
    expect(await refusal(tokenSocket(web, hostA, access))).to.equal('unauthorized');
  });

  it("refuses a platform admin's token, a made-up token and a token that is not text", async () => {
    const admin = await PlatformAdmin.create({
      email: `${uniqueSlug('ops')}@steward.test`,
      name: 'Ops',
      passwordHash: await testPasswordHash(),
      lastLoginAt: null,
    });
    const { token: adminToken } = await createAdminToken(String(admin.id), {
      name: 'ops',
      scope: 'read-write',
      expiresAt: null,
    });
    for (const t of [
      adminToken,
      'stw_pat_made-up',
      'eyJhbGciOiJub25lIn0.e30.',
      '',
      42,
      { a: 1 },
      'x'.repeat(5000),
    ])
      expect(await refusal(tokenSocket(web, hostA, t)), JSON.stringify(t).slice(0, 40)).to.equal(
        'unauthorized',
      );
  });

  it('refuses a socket with neither a token nor a cookie', async () => {
    expect(await refusal(openSocket(web, hostA, null))).to.equal('unauthorized');
    expect(await refusal(tokenSocket(web, hostA, undefined))).to.equal('unauthorized');
  });

  it('lets a bad token decide even when a good session cookie comes with it', async () => {
    const cookie = await sessionCookie(web, hostA, ana.email);
    expect(await refusal(tokenSocket(web, hostA, 'stw_pat_made-up', { cookie }))).to.equal('unauthorized');
    keep(await openSocket(web, hostA, cookie));
  });
});
