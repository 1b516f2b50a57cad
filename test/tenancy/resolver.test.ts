import { expect } from 'chai';
import { Domain, Tenant } from '../../app/models/index.ts';
import { parseHost } from '../../app/tenancy/resolver.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

describe('host resolution', () => {
  let grace: Tenant;
  let acme: Tenant;

  before(async () => {
    grace = await createTenant({ kind: 'church', name: 'Grace Fellowship' });
    acme = await createTenant({ kind: 'company', name: 'Acme Works' });
    await Domain.create({ domain: 'www.acme-works.example', tenantId: acme.id, isPrimary: false });
  });

  it('serves a tenant on its subdomain of the base domain', async () => {
    const res = await http().get('/').set('Host', hostOf(grace)).expect(200);
    expect(res.text).to.include('Grace Fellowship');
    expect(res.text).not.to.include('Acme Works');
  });

  it('serves a tenant on a custom domain', async () => {
    const res = await http().get('/').set('Host', 'www.acme-works.example').expect(200);
    expect(res.text).to.include('Acme Works');
  });

  it('ignores the port and the case in the Host header', async () => {
    const res = await http()
      .get('/')
      .set('Host', `${hostOf(grace).toUpperCase()}:3000`)
      .expect(200);
    expect(res.text).to.include('Grace Fellowship');
  });

  it('serves the platform on the root domain', async () => {
    const res = await http().get('/').set('Host', 'localhost:3000').expect(200);
    expect(res.text).to.include('Steward');
    expect(res.text).not.to.include('Grace Fellowship');
  });

  it('answers an unknown host with a helpful 404 page', async () => {
    const res = await http().get('/').set('Host', 'nobody-here.localhost').expect(404);
    expect(res.text).to.include('No organisation uses this address');
    expect(res.text).to.include('nobody-here.localhost');
  });

  it('answers a malformed Host header with 400, never 500', async () => {
    for (const host of [
      'bad host',
      'a..b',
      'x:notaport',
      '[::1',
      '-lead.localhost',
      `${'a'.repeat(64)}.localhost`,
    ]) {
      const res = await http().get('/').set('Host', host);
      expect(res.status, host).to.equal(400);
    }
  });

  it('shows a suspended tenant a page saying so, with its data untouched', async () => {
    const t = await createTenant({ name: 'Paused Org' });
    await http().get('/').set('Host', hostOf(t)).expect(200);
    await Tenant.update({ status: 'suspended' }, { where: { id: t.id } });
    const res = await http().get('/').set('Host', hostOf(t)).expect(403);
    expect(res.text).to.include('Paused Org is suspended');
    await Tenant.update({ status: 'active' }, { where: { id: t.id } });
    const back = await http().get('/').set('Host', hostOf(t)).expect(200);
    expect(back.text).to.include('Welcome to Paused Org');
  });

  it('stops serving a domain as soon as it is removed', async () => {
    await Domain.create({ domain: 'old.grace-fellowship.example', tenantId: grace.id, isPrimary: false });
    await http().get('/').set('Host', 'old.grace-fellowship.example').expect(200);
    await Domain.destroy({ where: { domain: 'old.grace-fellowship.example' } });
    await http().get('/').set('Host', 'old.grace-fellowship.example').expect(404);
  });

  it('serves a host that was unknown as soon as a domain is added for it', async () => {
    await http().get('/').set('Host', 'new.grace-fellowship.example').expect(404);
    await Domain.create({ domain: 'new.grace-fellowship.example', tenantId: grace.id, isPrimary: false });
    const res = await http().get('/').set('Host', 'new.grace-fellowship.example').expect(200);
    expect(res.text).to.include('Grace Fellowship');
  });

  it('answers health checks on any host', async () => {
    await http().get('/health').set('Host', 'whatever.example').expect(200, { status: 'ok' });
    const ready = await http().get('/health/ready').set('Host', '10.0.0.1:8080').expect(200);
    expect(ready.body.checks.database).to.equal('ok');
  });

  it('carries a request id on every response', async () => {
    const res = await http().get('/').set('Host', hostOf(grace)).set('X-Request-Id', 'abc12345-trace');
    expect(res.headers['x-request-id']).to.equal('abc12345-trace');
  });

  describe('parseHost', () => {
    it('strips ports and trailing dots and lowercases', () => {
      expect(parseHost('Grace.LocalHost:3000')).to.equal('grace.localhost');
      expect(parseHost('grace.localhost.')).to.equal('grace.localhost');
      expect(parseHost('[::1]:3000')).to.equal('[::1]');
    });

    it('returns null for missing or malformed hosts', () => {
      for (const h of [undefined, '', ' ', 'a b', 'a/b', 'host:', 'host:99999999', 'ex_ample.com']) {
        expect(parseHost(h), String(h)).to.equal(null);
      }
    });
  });
});
