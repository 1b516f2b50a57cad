import { expect } from 'chai';
import type { Tenant, User } from '../../app/models/index.ts';
import { anonymousClient, apiClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD } from '../support/factories.ts';

describe('API tokens', () => {
  let tenant: Tenant;
  let user: User;

  before(async () => {
    tenant = await createTenant();
    user = await createUser(tenant, { level: 5 });
  });

  it('gives an access token and a refresh token for a right e-mail and password', async () => {
    const res = await anonymousClient(tenant).post('/api/v1/token', {
      email: user.email,
      password: TEST_PASSWORD,
    });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.tokenType).to.equal('Bearer');
    expect(res.body.accessToken.split('.')).to.have.length(3);
    expect(res.body.refreshToken).to.match(/^stw_rt_/);
  });

  it('refuses a wrong password with a 401 problem document', async () => {
    const res = await anonymousClient(tenant).post('/api/v1/token', {
      email: user.email,
      password: 'wrong password',
    });
    expect(res.status).to.equal(401);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body.type).to.match(/unauthorized$/);
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await http()
      .post('/api/v1/token')
      .set('Host', hostOf(tenant))
      .set('Content-Type', 'application/json')
      .send('{"email": ');
    expect(res.status).to.equal(400);
    expect(res.body.type).to.match(/malformed-json$/);
  });

  it('serves the OpenAPI document', async () => {
    const res = await http().get('/api/v1/openapi.json').set('Host', hostOf(tenant));
    expect(res.status).to.equal(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(res.body.paths).to.have.property('/api/v1/token');
  });

  it('signs out everywhere with a token', async () => {
    const api = await apiClient(tenant, user);
    const res = await api.post('/api/v1/token/revoke-all');
    expect(res.status, res.text).to.equal(204);
    const again = await api.post('/api/v1/token/revoke-all');
    expect(again.status).to.equal(401);
  });
});
