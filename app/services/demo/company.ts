import type { MemberStatus } from '../../models/member.ts';
import { addDays, daysBetween, monthStart, monthsBefore, onOrBefore } from '../calendar.ts';
import { instantOf } from '../local-time.ts';
import type { DemoOptions } from './church.ts';
import { emailPart, FEMALE_NAMES, LAST_NAMES, MALE_NAMES, phoneNumber } from './names.ts';
import type { DemoPlan, PlannedContribution, PlannedExpense } from './plan.ts';
import { Random } from './random.ts';

const TEAMS = [
  { name: 'Engineering', description: 'Builds and runs the product.', day: 2, time: '10:00', share: 15 },
  { name: 'Sales', description: 'New customers and renewals.', day: 2, time: '09:00', share: 11 },
  {
    name: 'Customer Support',
    description: 'Answers customers and keeps them happy.',
    day: 3,
    time: '14:00',
    share: 9,
  },
  { name: 'Operations', description: 'Delivery, logistics and the office.', day: 4, time: '10:00', share: 8 },
  { name: 'Marketing', description: 'Campaigns, the website and events.', day: 2, time: '15:00', share: 8 },
  {
    name: 'Finance & Admin',
    description: 'Invoices, payroll and contracts.',
    day: 5,
    time: '11:00',
    share: 6,
  },
] as const;

const CLIENTS = [
  'Northwind Traders',
  'Contoso Ltd',
  'Fabrikam Inc',
  'Tailspin Toys',
  'Wide World Importers',
  'Blue Yonder Airlines',
  'Coho Winery',
  'Litware Inc',
  'Proseware Inc',
  'Adventure Works',
  'Alpine Ski House',
  'Woodgrove Bank',
  'Lucerne Publishing',
  'Margie’s Travel',
  'Trey Research',
] as const;

const BILLS = [
  { category: 'Payroll', payee: 'Payroll run', min: 395_000, max: 412_000, day: 25 },
  { category: 'Rent', payee: 'Harbor Point Offices', min: 18_500, max: 18_500, day: 1 },
  { category: 'Software', payee: 'Amazon Web Services', min: 6_200, max: 9_800, day: 3 },
  { category: 'Software', payee: 'GitHub', min: 441, max: 441, day: 5 },
  { category: 'Software', payee: 'Slack', min: 487.5, max: 487.5, day: 5 },
  { category: 'Software', payee: 'Google Workspace', min: 864, max: 864, day: 6 },
  { category: 'Marketing', payee: 'Google Ads', min: 2_500, max: 7_500, day: 8 },
  { category: 'Marketing', payee: 'LinkedIn Ads', min: 1_200, max: 3_800, day: 9 },
  { category: 'Utilities', payee: 'Bay Electric', min: 900, max: 1_700, day: 14 },
] as const;

const OCCASIONAL = [
  {
    category: 'Travel',
    payees: ['United Airlines', 'Delta Air Lines', 'Marriott', 'Hilton', 'Uber'],
    min: 90,
    max: 2_400,
    count: 32,
  },
  { category: 'Office supplies', payees: ['Staples', 'Amazon Business'], min: 30, max: 600, count: 16 },
  {
    category: 'Equipment',
    payees: ['Dell Technologies', 'Apple Store for Business'],
    min: 900,
    max: 3_800,
    count: 9,
  },
  {
    category: 'Professional fees',
    payees: ['Baker & Lee LLP', 'Grant Thornton'],
    min: 1_500,
    max: 12_000,
    count: 6,
  },
  {
    category: 'Team events',
    payees: ['Harbor Grill', 'Pizza Barn', 'Escape Room Co'],
    min: 150,
    max: 1_600,
    count: 14,
  },
  { category: 'Insurance', payees: ['Hartford Business Insurance'], min: 4_100, max: 4_100, count: 4 },
] as const;

/** The demo company: about 60 people in six teams, a year of meetings, income and expenses. */
export function planCompany(opts: DemoOptions): DemoPlan {
  const rng = new Random(opts.seed);
  const weeks = Math.max(4, Math.round(52 * opts.scale));
  const start = addDays(opts.today, -7 * weeks);
  const plan: DemoPlan = {
    settings: {
      welcome_text: 'Acme Corporation: logistics software and services for growing businesses.',
      about:
        'We build software that helps **small and mid-sized businesses** ship on time, and we help them run it.\n\nFounded in 2014, we are about sixty people in one office by the harbour.',
      service_times:
        '- **Office:** Monday to Friday, 08:30 to 17:30\n- **Support line:** Monday to Friday, 07:00 to 19:00',
      address: '400 Harbor Point, Suite 12\nOakland, CA 94607',
      phone: '(510) 555-0188',
      contact_email: 'hello@acme.example.com',
    },
    funds: [
      { name: 'Sales', description: 'Income from sales' },
      { name: 'Services', description: 'Income from services' },
      { name: 'General', description: 'Everything else' },
    ],
    households: [],
    people: [],
    groups: TEAMS.map((t) => ({
      name: t.name,
      description: t.description,
      meetingDay: t.day,
      meetingTime: t.time,
      members: [],
    })),
    events: [],
    contributions: [],
    expenses: [],
  };

  // People: the staff accounts first, then the rest, each in one team.
  const total = Math.max(12, Math.round(60 * opts.scale));
  const used = new Set<string>();
  const shares = TEAMS.flatMap((t, i) => Array.from({ length: t.share }, () => i));
  for (let i = 0; i < total; i++) {
    const staff = opts.staff[i];
    const sex = rng.chance(0.5);
    let first: string = rng.pick(sex ? FEMALE_NAMES : MALE_NAMES);
    let last: string = rng.pick(LAST_NAMES);
    if (staff) [first, last] = [staff.name.split(' ')[0], staff.name.split(' ').slice(1).join(' ')];
    let email = staff?.email ?? `${emailPart(first, last)}@acme.example.com`;
    for (let n = 2; used.has(email); n++) email = `${emailPart(first, last)}${n}@acme.example.com`;
    used.add(email);
    const status: MemberStatus = staff
      ? 'member'
      : rng.weighted<MemberStatus>([
          ['member', 87],
          ['regular', 7],
          ['inactive', 6],
        ]);
    const joinedOn =
      i % 25 === 7 ? addDays(opts.today, -rng.int(0, 9)) : addDays(opts.today, -rng.int(40, 8 * 365));
    plan.people.push({
      firstName: first,
      lastName: last,
      email,
      phone: phoneNumber(rng.int(0, 99)).replace('(217)', '(510)'),
      address: null,
      birthDate: rng.chance(0.6) ? addDays(opts.today, -rng.int(22 * 365, 63 * 365)) : null,
      status,
      joinedOn,
      notes: status === 'regular' ? 'Contractor' : status === 'inactive' ? 'Left the company' : null,
      household: null,
      userEmail: staff?.email ?? null,
    });
    const team =
      staff?.email === opts.groupLeaderEmail
        ? TEAMS.findIndex((t) => t.name === 'Customer Support')
        : shares[(i * 7) % shares.length];
    const lead =
      staff?.email === opts.groupLeaderEmail ||
      (status === 'member' && !staff && !plan.groups[team].members.some((m) => m.role === 'leader'));
    plan.groups[team].members.push({ person: i, role: lead ? 'leader' : 'member' });
  }

  // Meetings: a weekly all-hands for everyone, and each team's weekly meeting.
  const monday = onOrBefore(addDays(opts.today, -1), 1);
  for (let w = weeks - 1; w >= -4; w--) {
    const day = addDays(monday, -7 * w);
    const startsAt = instantOf(day, '09:30', opts.timeZone);
    const past = startsAt < opts.now;
    plan.events.push({
      title: 'All-hands meeting',
      kind: 'service',
      group: null,
      startsAt,
      visitorCount: past && rng.chance(0.15) ? rng.int(1, 3) : 0,
      attendees: past
        ? plan.people
            .map((p, i) => ({ p, i }))
            .filter(({ p }) => p.status !== 'inactive' && (p.joinedOn ?? '') <= day && rng.chance(0.82))
            .map(({ i }) => i)
        : [],
    });
    plan.groups.forEach((g, gi) => {
      const date = addDays(day, g.meetingDay - 1);
      if (date < start || daysBetween(opts.today, date) > 14) return;
      const meetingAt = instantOf(date, g.meetingTime, opts.timeZone);
      const isPast = meetingAt < opts.now;
      plan.events.push({
        title: `${g.name} weekly`,
        kind: 'group_meeting',
        group: gi,
        startsAt: meetingAt,
        visitorCount: 0,
        attendees: isPast
          ? g.members
              .filter((m) => {
                const p = plan.people[m.person];
                return p.status !== 'inactive' && (p.joinedOn ?? '') <= date;
              })
              .filter((m) => rng.chance(m.role === 'leader' ? 0.96 : 0.86))
              .map((m) => m.person)
          : [],
      });
    });
  }

  // Income: invoices paid for sales and services, and a little other income.
  let invoice = 1001;
  const earn = (fund: string, amountCents: number, day: string, note: string) => {
    if (day < start || day >= opts.today) return;
    const method = rng.weighted<PlannedContribution['method']>([
      ['transfer', 70],
      ['card', 15],
      ['check', 10],
      ['online', 5],
    ]);
    plan.contributions.push({
      person: null,
      fund,
      amountCents,
      receivedOn: day,
      method,
      reference: fund === 'General' ? null : `INV-${invoice++}`,
      note,
    });
  };
  for (let d = 0; d < weeks * 7; d++) {
    const day = addDays(opts.today, -1 - d);
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    for (let k = rng.int(0, 2); k > 0; k--)
      earn('Sales', rng.int(40, 2_400) * 1_000 + rng.int(0, 99), day, rng.pick(CLIENTS));
    if (rng.chance(0.45)) earn('Services', rng.int(20, 480) * 10_000, day, rng.pick(CLIENTS));
    if (rng.chance(0.1))
      earn(
        'General',
        rng.int(5_000, 120_000),
        day,
        rng.pick(['Bank interest', 'Supplier refund', 'Training fees']),
      );
  }

  const spend = (e: PlannedExpense) => {
    if (e.spentOn >= start && e.spentOn < opts.today) plan.expenses.push(e);
  };
  for (let m = 0; m <= 12; m++) {
    const month = monthStart(monthsBefore(opts.today, m));
    for (const b of BILLS)
      spend({
        category: b.category,
        fund: 'General',
        payee: b.payee,
        amountCents: b.min === b.max ? Math.round(b.min * 100) : rng.int(b.min * 100, b.max * 100),
        spentOn: addDays(month, b.day - 1),
        note: null,
      });
  }
  for (const o of OCCASIONAL)
    for (let i = 0; i < Math.round(o.count * opts.scale); i++)
      spend({
        category: o.category,
        fund: o.category === 'Travel' ? rng.pick(['Sales', 'Services']) : 'General',
        payee: rng.pick(o.payees),
        amountCents: rng.int(o.min * 100, o.max * 100),
        spentOn: addDays(opts.today, -rng.int(1, weeks * 7)),
        note: null,
      });
  return plan;
}
