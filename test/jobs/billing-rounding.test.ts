import { expect } from 'chai';
import { addDays, billingDay, dailyChargeCents, dayNumber, daysCovered } from '../../app/services/billing.ts';

describe('daily charge rounding', () => {
  const prices = [0, 1, 29, 900, 1001, 2900, 9900, 99_999];

  it('adds up to exactly the monthly price over any 30 consecutive days', () => {
    for (const price of prices) {
      for (let start = 0; start < 400; start += 7) {
        const first = addDays('2026-01-01', start);
        let sum = 0;
        for (let i = 0; i < 30; i++) sum += dailyChargeCents(price, addDays(first, i));
        expect(sum, `price ${price} from ${first}`).to.equal(price);
      }
    }
  });

  it('charges the floor or the ceiling of a thirtieth of the price each day', () => {
    for (const price of prices) {
      for (let i = 0; i < 60; i++) {
        const charge = dailyChargeCents(price, addDays('2026-11-01', i));
        expect(charge).to.be.oneOf([Math.floor(price / 30), Math.ceil(price / 30)]);
      }
    }
  });

  it('finds the billing day in the configured time zone', () => {
    const instant = new Date('2026-11-23T23:30:00Z');
    expect(billingDay(instant, 'UTC')).to.equal('2026-11-23');
    expect(billingDay(instant, 'Europe/Berlin')).to.equal('2026-11-24');
    expect(billingDay(instant, 'America/New_York')).to.equal('2026-11-23');
    expect(dayNumber('1970-01-02')).to.equal(1);
  });

  it('tells how many days the credit lasts', () => {
    expect(daysCovered('900', 900)).to.equal(30);
    expect(daysCovered('2900', 2900)).to.equal(30);
    expect(daysCovered('100', 2900)).to.equal(1);
    expect(daysCovered('0', 900)).to.equal(0);
    expect(daysCovered('-50', 900)).to.equal(0);
    expect(daysCovered('5000', 0)).to.equal(null);
    expect(daysCovered('1234567890123456789', 900)).to.be.greaterThan(4e16);
  });
});
