import { expect } from 'chai';
import {
  Attendance,
  Contribution,
  Event,
  Expense,
  Fund,
  Group,
  GroupMember,
  Household,
  Member,
  Setting,
  type Tenant,
  User,
} from '../../app/models/index.ts';
import { type DemoCounts, fillDemoData } from '../../app/services/demo.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

const NOW = new Date('2026-11-25T12:00:00Z');

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

async function countsIn(tenant: Tenant): Promise<DemoCounts> {
  return inTenant(tenant, async () => ({
    households: await Household.count(),
    members: await Member.count(),
    groups: await Group.count(),
    groupMembers: await GroupMember.count(),
    events: await Event.count(),
    attendances: await Attendance.count(),
    funds: await Fund.count(),
    contributions: await Contribution.count(),
    expenses: await Expense.count(),
  }));
}

describe('demo data', function () {
  this.timeout(60_000);

  it('fills a church with a full year: about 300 people in about 110 households, groups, attendance and giving', async () => {
    const tenant = await createTenant({ kind: 'church' });
    await createUser(tenant, { level: 5, email: 'member@grace.test', name: 'Mary Wanjiru' });
    const started = Date.now();
    const created = await inTenant(tenant, () => fillDemoData('church', { now: NOW }));
    const ms = Date.now() - started;
    expect(ms, 'the full church fill is quick').to.be.below(8000);
    const stored = await countsIn(tenant);
    expect(created).to.deep.equal(stored);
    expect(stored.households).to.be.within(100, 120);
    expect(stored.members).to.be.within(270, 330);
    expect(stored.groups).to.equal(8);
    expect(stored.funds).to.equal(4);
    expect(stored.contributions).to.be.within(3000, 5000);
    expect(stored.expenses).to.be.within(180, 230);

    await inTenant(tenant, async () => {
      // Some people have no e-mail, and every status is represented.
      expect(await Member.count({ where: { email: null } })).to.be.greaterThan(20);
      for (const status of ['member', 'regular', 'visitor', 'inactive'])
        expect(await Member.count({ where: { status } }), status).to.be.greaterThan(5);
      // The level-5 demo user is a person of the directory who leads a group.
      const mary = await User.findOne({ where: { email: 'member@grace.test' } });
      const person = await Member.findOne({ where: { userId: mary?.id } });
      expect(person?.firstName).to.equal('Mary');
      const leads = await GroupMember.findAll({ where: { memberId: person?.id, role: 'leader' } });
      expect(leads).to.have.length(1);
      expect((await Group.findByPk(leads[0].groupId))?.name).to.equal('Young Adults');
      // A year of weekly services, each attended by 55 to 75% of the regular people.
      const regulars = await Member.count({ where: { status: ['member', 'regular'] } });
      const services = await Event.findAll({ where: { kind: 'service' } });
      const past = services.filter((e) => e.startsAt < NOW);
      expect(past).to.have.length(52);
      expect(services.length - past.length).to.equal(4);
      const present = await Attendance.count({ where: { eventId: past.map((e) => e.id) } });
      expect(present / past.length / regulars).to.be.within(0.55, 0.75);
      // Money is whole cents, positive, and within the year.
      const gifts = await Contribution.findAll({ attributes: ['amountCents', 'receivedOn'] });
      for (const g of gifts) {
        expect(g.amountCents).to.match(/^[1-9]\d*$/);
        expect(g.receivedOn >= '2025-11-25' && g.receivedOn < '2026-11-25', g.receivedOn).to.equal(true);
      }
      const texts = await Setting.all();
      expect(texts.service_times).to.include('Sunday service');
      expect(texts.contact_email).to.equal('office@grace.example.org');
    });
  });

  it('does not add anything the second time, and makes the same data for the same day', async () => {
    const tenant = await createTenant({ kind: 'church' });
    const first = await inTenant(tenant, () => fillDemoData('church', { now: NOW, scale: 0.1 }));
    expect(first?.members).to.be.greaterThan(10);
    const before = await countsIn(tenant);
    expect(await inTenant(tenant, () => fillDemoData('church', { now: NOW, scale: 0.1 }))).to.equal(null);
    expect(await countsIn(tenant)).to.deep.equal(before);

    const twin = await createTenant({ kind: 'church' });
    await inTenant(twin, () => fillDemoData('church', { now: NOW, scale: 0.1 }));
    const names = (t: Tenant) =>
      inTenant(t, async () =>
        (await Member.findAll({ order: [['id', 'ASC']] })).map(
          (m) => `${m.firstName} ${m.lastName} ${m.email}`,
        ),
      );
    expect(await names(twin)).to.deep.equal(await names(tenant));
  });

  it('fills a company with people in teams, meetings, income and expenses', async () => {
    const tenant = await createTenant({ kind: 'company' });
    const created = await inTenant(tenant, () => fillDemoData('company', { now: NOW }));
    expect(created).to.deep.equal(await countsIn(tenant));
    expect(created?.members).to.equal(60);
    expect(created?.households).to.equal(0);
    expect(created?.groups).to.equal(6);
    expect(created?.contributions).to.be.within(250, 600);
    expect(created?.expenses).to.be.within(120, 250);
    await inTenant(tenant, async () => {
      const teams = (await Group.findAll({ order: [['name', 'ASC']] })).map((g) => g.name);
      expect(teams).to.include.members(['Engineering', 'Sales', 'Customer Support']);
      expect((await Fund.findAll()).map((f) => f.name)).to.include.members(['Sales', 'Services']);
    });
  });
});
