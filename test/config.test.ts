import { expect } from 'chai';
import { ConfigError, loadConfig } from '../config/index.ts';

describe('configuration', () => {
  it('applies defaults when the environment is empty', () => {
    const c = loadConfig({});
    expect(c.PORT).to.equal(3000);
    expect(c.BASE_DOMAIN).to.equal('localhost');
    expect(c.DATABASE_URL).to.equal(undefined);
    expect(c.TRUST_PROXY).to.equal(false);
  });

  it('stops with a message naming each bad value', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', BASE_DOMAIN: 'bad domain!' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.matches(/PORT/)
      .and.matches(/DATABASE_URL/)
      .and.matches(/BASE_DOMAIN/);
  });

  it('reads TRUST_PROXY as a boolean, a hop count or a list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).to.equal(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).TRUST_PROXY).to.equal('loopback');
  });
});
