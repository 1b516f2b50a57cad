import { expect } from 'chai';
import type { Request } from 'express';
import { Domain } from '../../app/models/index.ts';
import { hostUrl, platformUrl, tenantHosts, tenantUrlFor } from '../../app/services/urls.ts';
import type { TenantRef } from '../../app/tenancy/context.ts';
import { config, loadConfig } from '../../config/index.ts';
import { createTenant, uniqueSlug } from '../support/factories.ts';

type Public = { PUBLIC_SCHEME: 'http' | 'https'; publicPort: number | null };

/** Runs `fn` with the public scheme and port set, then puts them back. */
function withPublic<T>(scheme: 'http' | 'https', port: number | null, fn: () => T): T {
  const saved = { PUBLIC_SCHEME: config.PUBLIC_SCHEME, publicPort: config.publicPort };
  Object.assign(config as Public, { PUBLIC_SCHEME: scheme, publicPort: port });
  try {
    return fn();
  } finally {
    Object.assign(config as Public, saved);
  }
}

/** A request as a proxy would hand it on: a foreign Host header, the tenant resolved from another. */
function forgedRequest(tenant: TenantRef | null, resolvedHost: string | undefined): Request {
  const headers: Record<string, string> = { host: 'evil.example:8080' };
  return {
    tenant,
    protocol: 'http',
    host: 'evil.example:8080',
    hostname: 'evil.example',
    headers,
    get: (name: string) => headers[name.toLowerCase()],
    res: { locals: resolvedHost === undefined ? {} : { host: resolvedHost } },
  } as unknown as Request;
}

const grace: TenantRef = {
  id: '7',
  slug: 'grace',
  schema: 't_grace',
  name: 'Grace',
  kind: 'church',
  status: 'active',
};

describe('public URLs', () => {
  describe('PUBLIC_PORT', () => {
    it('defaults to PORT outside production over http, and to none otherwise', () => {
      expect(loadConfig({}).publicPort).to.equal(3000);
      expect(loadConfig({ PORT: '8000' }).publicPort).to.equal(8000);
      expect(loadConfig({ PUBLIC_PORT: '' }).publicPort).to.equal(3000);
      expect(loadConfig({ PUBLIC_SCHEME: 'https' }).publicPort).to.equal(null);
      const secret = 'x'.repeat(32);
      expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: secret }).publicPort).to.equal(null);
    });

    it('is taken as given when set, and a bad value stops the app', () => {
      expect(loadConfig({ PUBLIC_PORT: '8443', PUBLIC_SCHEME: 'https' }).publicPort).to.equal(8443);
      const secret = 'x'.repeat(32);
      expect(
        loadConfig({ NODE_ENV: 'production', SESSION_SECRET: secret, PUBLIC_PORT: '8080' }).publicPort,
      ).to.equal(8080);
      expect(() => loadConfig({ PUBLIC_PORT: 'eighty' })).to.throw(/PUBLIC_PORT/);
      expect(() => loadConfig({ PUBLIC_PORT: '70000' })).to.throw(/PUBLIC_PORT/);
    });
  });

  describe('hostUrl', () => {
    it("builds the URL from PUBLIC_SCHEME and the public port, leaving out the scheme's own port", () => {
      withPublic('https', 443, () =>
        expect(hostUrl('grace.example.org', '/x')).to.equal('https://grace.example.org/x'),
      );
      withPublic('https', null, () =>
        expect(hostUrl('grace.example.org')).to.equal('https://grace.example.org/'),
      );
      withPublic('https', 8443, () =>
        expect(hostUrl('grace.example.org', '/x')).to.equal('https://grace.example.org:8443/x'),
      );
      withPublic('http', 80, () =>
        expect(hostUrl('grace.localhost', '/x')).to.equal('http://grace.localhost/x'),
      );
      withPublic('http', 443, () =>
        expect(hostUrl('grace.localhost', '/x')).to.equal('http://grace.localhost:443/x'),
      );
      withPublic('https', null, () =>
        expect(platformUrl('/admin')).to.equal(`https://${config.BASE_DOMAIN}/admin`),
      );
    });
  });

  describe('tenantUrlFor', () => {
    it('uses the host the tenant was resolved from, never the Host header, its port or the protocol', () => {
      const url = withPublic('https', 4443, () =>
        tenantUrlFor(forgedRequest(grace, 'grace.example.org'), '/password/reset/abc'),
      );
      expect(url).to.equal('https://grace.example.org:4443/password/reset/abc');
    });

    it("falls back to the tenant's own slug host, and to the platform's host without a tenant", () => {
      withPublic('https', null, () => {
        expect(tenantUrlFor(forgedRequest(grace, undefined), '/x')).to.equal(
          `https://grace.${config.BASE_DOMAIN}/x`,
        );
        expect(tenantUrlFor(forgedRequest(null, config.BASE_DOMAIN), '/signup')).to.equal(
          `https://${config.BASE_DOMAIN}/signup`,
        );
      });
    });
  });

  describe('tenantHosts', () => {
    it('gives each tenant its primary domain, else its slug host', async () => {
      const withDomain = await createTenant();
      const plain = await createTenant();
      const custom = `${uniqueSlug('primary')}.example.org`;
      const domain = await Domain.create({ domain: custom, tenantId: withDomain.id });
      await domain.makePrimary();
      const hosts = await tenantHosts([withDomain, plain]);
      expect(hosts.get(String(withDomain.id))).to.equal(custom);
      expect(hosts.get(String(plain.id))).to.equal(`${plain.slug}.${config.BASE_DOMAIN}`);
    });
  });
});
