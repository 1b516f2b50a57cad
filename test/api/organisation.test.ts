import { expect } from 'chai';
import type { Tenant, User } from '../../app/models/index.ts';
import { type ApiClient, apiClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

describe('API: settings and audit log', () => {
  let tenant: Tenant;
  let admin: User;
  let api: ApiClient;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    admin = await createUser(tenant, { level: 0, name: 'Setter' });
    api = await apiClient(tenant, admin);
  });

  it('reads and changes settings; only the keys sent change, and the change is audited', async () => {
    const before = await api.get('/api/v1/settings');
    expect(before.status).to.equal(200);
    const res = await api.patch('/api/v1/settings', {
      phone: '+44 20 7946 0000',
      api_cors_origins: 'https://app.example.org\nhttp://localhost:5173',
    });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.phone).to.equal('+44 20 7946 0000');
    expect(res.body.welcome_text).to.equal(before.body.welcome_text);
    const log = await api.get('/api/v1/audit?action=settings.updated');
    expect(log.status).to.equal(200);
    expect(log.body.data[0].changes.phone.to).to.equal('+44 20 7946 0000');
    expect(log.body.data[0].actorName).to.equal('Setter');
  });

  it('refuses an origin that is not one, and a bad time zone, with field messages', async () => {
    const res = await api.patch('/api/v1/settings', {
      api_cors_origins: 'javascript:alert(1)',
      time_zone: 'Mars/Base',
    });
    expect(res.status).to.equal(422);
    expect(res.body.fields).to.have.keys(['api_cors_origins', 'time_zone']);
  });

  it('is refused below the levels the pages allow', async () => {
    const finance = await apiClient(tenant, await createUser(tenant, { level: 1 }));
    expect((await finance.get('/api/v1/settings')).status).to.equal(403);
    expect((await finance.patch('/api/v1/settings', { phone: '1' })).status).to.equal(403);
    expect((await finance.get('/api/v1/audit')).status).to.equal(403);
  });

  it('pages the audit log newest first', async () => {
    for (const phone of ['1', '2', '3']) await api.patch('/api/v1/settings', { phone });
    const first = await api.get('/api/v1/audit?action=settings.updated&limit=2');
    expect(first.body.data).to.have.length(2);
    expect(first.body.data[0].changes.phone.to).to.equal('3');
    expect(first.body.nextCursor).to.be.a('string');
    const second = await api.get(
      `/api/v1/audit?action=settings.updated&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.data[0].changes.phone.to).to.equal('1');
  });
});
