import { expect } from 'chai';
import type { Socket } from 'socket.io-client';
import type { Tenant } from '../../app/models/index.ts';
import {
  hostOfTenant,
  openSocket,
  sessionCookie,
  startWebServer,
  type WebServer,
} from '../realtime/support.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

describe('boundaries: a suspended tenant gets no socket', function () {
  this.timeout(30_000);
  let web: WebServer;
  let tenant: Tenant;
  const sockets: Socket[] = [];

  before(async () => {
    web = await startWebServer({ redisUrl: null });
    tenant = await createTenant({ kind: 'company' });
  });
  after(async () => {
    for (const s of sockets.splice(0)) s.close();
    await web?.close();
  });

  it('refuses the socket of a signed-in user once the tenant is suspended', async () => {
    const user = await createUser(tenant, { level: 5 });
    const cookie = await sessionCookie(web, hostOfTenant(tenant), user.email);
    sockets.push(await openSocket(web, hostOfTenant(tenant), cookie));

    await tenant.update({ status: 'suspended' });
    const refused = await openSocket(web, hostOfTenant(tenant), cookie).then(
      (s) => {
        sockets.push(s);
        return null;
      },
      (err: Error) => err,
    );
    expect(refused?.message).to.equal('unauthorized');
  });
});
