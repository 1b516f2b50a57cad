import { expect } from 'chai';
import {
  assertSchemaName,
  isSchemaName,
  quoteIdent,
  schemaForSlug,
  slugProblem,
} from '../../app/tenancy/schema-name.ts';

describe('tenant slugs and schema names', () => {
  it('accepts lowercase slugs with digits and single hyphens', () => {
    for (const slug of ['grace', 'st-marks', 'acme2', 'a1']) expect(slugProblem(slug), slug).to.equal(null);
  });

  it('refuses slugs that are malformed, too short, too long or reserved', () => {
    const bad = [
      '',
      'a',
      'Grace',
      '1abc',
      '-abc',
      'abc-',
      'a--b',
      'a_b',
      'a b',
      'ünï',
      "x';drop",
      'a'.repeat(39),
      'public',
      'admin',
      'www',
      'api',
      'pg-stat',
      'pg_catalog',
    ];
    for (const slug of bad) expect(slugProblem(slug), slug).to.be.a('string');
  });

  it('maps a slug to a t_ schema name with underscores', () => {
    expect(schemaForSlug('st-marks')).to.equal('t_st_marks');
  });

  it('validates schema names before they reach SQL', () => {
    expect(isSchemaName('t_grace')).to.equal(true);
    for (const name of [
      'public',
      'grace',
      't_',
      't_Grace',
      't_a"b',
      't_a;drop',
      `t_${'a'.repeat(45)}`,
      'pg_temp',
    ]) {
      expect(isSchemaName(name), name).to.equal(false);
      expect(() => assertSchemaName(name)).to.throw(/Invalid tenant schema name/);
    }
  });

  it('quotes identifiers by doubling embedded quotes', () => {
    expect(quoteIdent('t_grace')).to.equal('"t_grace"');
    expect(quoteIdent('a"b')).to.equal('"a""b"');
  });
});
