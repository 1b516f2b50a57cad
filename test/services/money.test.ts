import { expect } from 'chai';
import { formatCents, parseCents, sumCents } from '../../app/services/money.ts';

describe('money in integer cents', () => {
  it('parses amounts with up to two decimals exactly', () => {
    const cases: [string, string][] = [
      ['12', '1200'],
      ['12.5', '1250'],
      ['0.07', '7'],
      ['29.99', '2999'],
      ['0.1', '10'],
      ['1,5', '150'],
      [' 3.00 ', '300'],
      ['$4.20', '420'],
      ['-3', '-300'],
      ['999999999999.99', '99999999999999'],
    ];
    for (const [text, cents] of cases) expect(parseCents(text), text).to.equal(cents);
  });

  it('refuses text that is not an amount', () => {
    for (const text of ['', 'abc', '9.999', '1.2.3', '1e3', '12..', '.5', 'NaN', '1 000 000', '0x10']) {
      expect(parseCents(text), text).to.equal(null);
    }
  });

  it('formats cents with thousands separators and a sign', () => {
    expect(formatCents('123456')).to.equal('1,234.56');
    expect(formatCents(7)).to.equal('0.07');
    expect(formatCents('-2999', '$')).to.equal('-$29.99');
    expect(formatCents('100000000000000')).to.equal('1,000,000,000,000.00');
  });

  it('adds a year of daily amounts without losing a cent', () => {
    const daily = Array.from({ length: 365 }, () => '33');
    expect(sumCents(daily)).to.equal('12045');
    // what floating point gets wrong: 0.1 + 0.2
    expect(sumCents([parseCents('0.1') ?? '0', parseCents('0.2') ?? '0'])).to.equal('30');
  });
});
