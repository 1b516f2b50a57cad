import type { MemberStatus } from '../../models/member.ts';
import { addDays, daysBetween, monthStart, monthsBefore, onOrBefore } from '../calendar.ts';
import { instantOf } from '../local-time.ts';
import {
  CHILD_NAMES,
  emailPart,
  FEMALE_NAMES,
  LAST_NAMES,
  MALE_NAMES,
  phoneNumber,
  STREETS,
  TOWNS,
} from './names.ts';
import type { DemoPlan, PlannedContribution, PlannedEvent, PlannedExpense, PlannedPerson } from './plan.ts';
import { Random } from './random.ts';

export interface DemoOptions {
  /** Today in the tenant's time zone, "YYYY-MM-DD": the data covers the year before it. */
  today: string;
  /** The present moment: events before it have attendance, later ones are planned. */
  now: Date;
  timeZone: string;
  /** 1 is the full demo; smaller values make a smaller directory and a shorter history (tests). */
  scale: number;
  seed: number;
  /** Staff accounts that also appear in the directory, as the first people. */
  staff: { email: string; name: string }[];
  /** The staff e-mail of the plain member (level 5) who leads a group. */
  groupLeaderEmail: string;
}

/** Who a person is, beyond their directory record: used to place them in groups and attendance. */
interface Person {
  index: number;
  sex: 'f' | 'm';
  age: number;
  household: number;
  status: MemberStatus;
  joinedOn: string;
  /** How likely this person's household is to be at a Sunday service. */
  loyalty: number;
}

const GROUPS = [
  {
    name: 'Young Adults',
    description: 'Twenties and thirties: dinner, a Bible passage and honest conversation.',
    day: 5,
    time: '19:00',
    every: 1,
    fits: (p: Person) => p.age >= 18 && p.age <= 35,
    size: 16,
  },
  {
    name: "Men's Breakfast",
    description: 'Breakfast in the fellowship hall, then a short study.',
    day: 6,
    time: '08:00',
    every: 2,
    fits: (p: Person) => p.sex === 'm' && p.age >= 25,
    size: 18,
  },
  {
    name: "Women's Bible Study",
    description: 'Working through a book of the Bible together, with childcare.',
    day: 2,
    time: '10:00',
    every: 1,
    fits: (p: Person) => p.sex === 'f' && p.age >= 22,
    size: 20,
  },
  {
    name: 'Youth Group',
    description: 'Games, worship and small-group discussion for ages 12 to 18.',
    day: 3,
    time: '18:30',
    every: 1,
    fits: (p: Person) => p.age >= 12 && p.age <= 18,
    size: 22,
  },
  {
    name: 'Worship Team',
    description: 'Singers and musicians: rehearsal for Sunday.',
    day: 4,
    time: '19:30',
    every: 1,
    fits: (p: Person) => p.age >= 16 && p.age <= 65,
    size: 12,
  },
  {
    name: 'Seniors Fellowship',
    description: 'Coffee, a devotion and a visit list for the homebound.',
    day: 4,
    time: '10:30',
    every: 2,
    fits: (p: Person) => p.age >= 65,
    size: 16,
  },
  {
    name: 'Hospitality Team',
    description: 'Greeters, coffee and the welcome table on Sunday mornings.',
    day: 0,
    time: '09:00',
    every: 4,
    fits: (p: Person) => p.age >= 18,
    size: 14,
  },
  {
    name: 'Prayer Ministry',
    description: 'Praying for the requests shared by the congregation.',
    day: 1,
    time: '19:00',
    every: 1,
    fits: (p: Person) => p.age >= 18,
    size: 10,
  },
] as const;

/** Which of the people are in the life of the church: they attend, give and join groups. */
function active(p: Person): boolean {
  return p.status === 'member' || p.status === 'regular';
}

function birthDate(rng: Random, today: string, age: number): string {
  return addDays(monthsBefore(today, age * 12), -rng.int(0, 364));
}

function dollars(rng: Random, min: number, max: number, step = 5): number {
  return rng.int(Math.ceil(min / step), Math.floor(max / step)) * step * 100;
}

/** The people of the church: households with adults and children, the staff among them. */
function planPeople(rng: Random, opts: DemoOptions, plan: DemoPlan): Person[] {
  const people: Person[] = [];
  const usedEmails = new Set<string>();
  const email = (first: string, last: string): string => {
    const base = emailPart(first, last);
    let candidate = `${base}@${rng.pick(['example.com', 'example.net', 'example.org'])}`;
    for (let n = 2; usedEmails.has(candidate); n++) candidate = `${base}${n}@example.com`;
    usedEmails.add(candidate);
    return candidate;
  };
  const householdCount = Math.max(4, Math.round(110 * opts.scale));

  for (let h = 0; h < householdCount; h++) {
    const staff = opts.staff[h];
    const lastName = staff ? (staff.name.split(' ').pop() ?? 'Smith') : rng.pick(LAST_NAMES);
    const [town, zip] = rng.pick(TOWNS);
    const address = `${rng.int(2, 980)} ${rng.pick(STREETS)}, ${town}, IL ${zip}`;
    const status: MemberStatus = staff
      ? 'member'
      : rng.weighted<MemberStatus>([
          ['member', 55],
          ['regular', 25],
          ['visitor', 10],
          ['inactive', 10],
        ]);
    const joinedOn =
      status === 'visitor'
        ? addDays(opts.today, -rng.int(0, 75))
        : status === 'regular'
          ? addDays(opts.today, -rng.int(30, 3 * 365))
          : addDays(opts.today, -rng.int(365, 15 * 365));
    const loyalty =
      status === 'member'
        ? 0.62 + rng.next() * 0.36
        : status === 'regular'
          ? 0.4 + rng.next() * 0.4
          : status === 'visitor'
            ? 0.15 + rng.next() * 0.25
            : 0;
    // The staff member who leads a group is a young adult living alone.
    const size =
      staff?.email === opts.groupLeaderEmail
        ? 1
        : rng.weighted([
            [1, 22],
            [2, 30],
            [3, 16],
            [4, 19],
            [5, 10],
            [6, 3],
          ]);
    const householdPhone = rng.chance(0.35) ? phoneNumber(rng.int(0, 99)) : null;
    const householdIndex = plan.households.length;

    const members: { first: string; last: string; sex: 'f' | 'm'; age: number; staffEmail?: string }[] = [];
    const staffFirst = staff?.name.split(' ')[0] ?? '';
    const headSex: 'f' | 'm' = staff
      ? (FEMALE_NAMES as readonly string[]).includes(staffFirst)
        ? 'f'
        : 'm'
      : rng.chance(0.5)
        ? 'f'
        : 'm';
    const headAge =
      staff?.email === opts.groupLeaderEmail ? 27 : size > 2 ? rng.int(28, 56) : rng.int(22, 86);
    if (staff) {
      const [first, ...rest] = staff.name.split(' ');
      members.push({ first, last: rest.join(' '), sex: headSex, age: headAge, staffEmail: staff.email });
    } else {
      members.push({
        first: rng.pick(headSex === 'f' ? FEMALE_NAMES : MALE_NAMES),
        last: lastName,
        sex: headSex,
        age: headAge,
      });
    }
    const singleParent = size >= 2 && rng.chance(size === 2 ? 0.15 : 0.2);
    if (size >= 2 && !singleParent) {
      const sex: 'f' | 'm' = headSex === 'f' ? 'm' : 'f';
      members.push({
        first: rng.pick(sex === 'f' ? FEMALE_NAMES : MALE_NAMES),
        last: rng.chance(0.1) ? rng.pick(LAST_NAMES) : lastName,
        sex,
        age: Math.max(20, headAge + rng.int(-5, 5)),
      });
    }
    while (members.length < size) {
      const sex: 'f' | 'm' = rng.chance(0.5) ? 'f' : 'm';
      const pool = rng.chance(0.4)
        ? CHILD_NAMES
        : sex === 'f'
          ? FEMALE_NAMES.slice(0, 40)
          : MALE_NAMES.slice(0, 40);
      const first = rng.pick(pool);
      if (members.some((m) => m.first === first)) continue;
      members.push({
        first,
        last: lastName,
        sex,
        age: Math.max(0, Math.min(headAge - 20, rng.int(0, 19))),
      });
    }

    plan.households.push({
      name: members.length === 1 ? `${members[0].first} ${members[0].last}` : `${lastName} family`,
      address,
      phone: householdPhone,
    });
    for (const m of members) {
      const adult = m.age >= 18;
      const index = plan.people.length;
      const person: PlannedPerson = {
        firstName: m.first,
        lastName: m.last,
        email:
          m.staffEmail ??
          ((adult && rng.chance(0.85)) || (m.age >= 16 && rng.chance(0.4)) ? email(m.first, m.last) : null),
        phone:
          adult && rng.chance(0.9)
            ? phoneNumber(rng.int(0, 99))
            : m.age >= 14 && rng.chance(0.5)
              ? phoneNumber(rng.int(0, 99))
              : null,
        address,
        birthDate: rng.chance(0.92) ? birthDate(rng, opts.today, m.age) : null,
        status,
        joinedOn,
        household: householdIndex,
        userEmail: m.staffEmail ?? null,
      };
      plan.people.push(person);
      people.push({ index, sex: m.sex, age: m.age, household: householdIndex, status, joinedOn, loyalty });
    }
  }
  return people;
}

function planGroups(rng: Random, opts: DemoOptions, plan: DemoPlan, people: Person[]): void {
  const leader = people.find((p) => plan.people[p.index].userEmail === opts.groupLeaderEmail);
  for (const g of GROUPS) {
    const fits = people.filter(
      (p) => (active(p) || (p.status === 'visitor' && rng.chance(0.3))) && g.fits(p),
    );
    const chosen = rng.sample(fits, Math.max(2, Math.round(g.size * Math.min(1, opts.scale * 1.5))));
    if (g.name === 'Young Adults' && leader && !chosen.includes(leader)) chosen.unshift(leader);
    const adults = chosen.filter((p) => p.age >= 21 && active(p));
    const leaders = new Set<Person>();
    if (g.name === 'Young Adults' && leader) leaders.add(leader);
    // The pastor (the first staff account) leads the prayer meeting.
    if (g.name === 'Prayer Ministry' && people[0]) leaders.add(people[0]);
    for (const p of rng.sample(adults, g.name === 'Youth Group' ? 2 : 1)) leaders.add(p);
    // A youth group's leaders are adults from outside it.
    if (g.name === 'Youth Group') {
      for (const p of rng.sample(
        people.filter((x) => active(x) && x.age >= 24 && x.age <= 45),
        2,
      ))
        leaders.add(p);
    }
    const all = [...new Set([...leaders, ...chosen])];
    plan.groups.push({
      name: g.name,
      description: g.description,
      meetingDay: g.day,
      meetingTime: g.time,
      members: all.map((p) => ({ person: p.index, role: leaders.has(p) ? 'leader' : 'member' })),
    });
  }
}

function planEvents(rng: Random, opts: DemoOptions, plan: DemoPlan, people: Person[]): void {
  const weeks = Math.max(4, Math.round(52 * opts.scale));
  const lastSunday = onOrBefore(addDays(opts.today, -1), 0);
  const households = new Map<number, Person[]>();
  for (const p of people) households.set(p.household, [...(households.get(p.household) ?? []), p]);

  for (let w = weeks - 1; w >= -4; w--) {
    const sunday = addDays(lastSunday, -7 * w);
    const startsAt = instantOf(sunday, '10:00', opts.timeZone);
    const past = startsAt < opts.now;
    // Summer holidays and winter weather thin the pews a little.
    const month = Number(sunday.slice(5, 7));
    const season = month === 7 || month === 8 ? 0.88 : month === 1 || month === 2 ? 0.93 : 1;
    const attendees: number[] = [];
    if (past) {
      for (const members of households.values()) {
        const first = members[0];
        if (first.joinedOn > sunday || first.loyalty === 0) continue;
        if (!rng.chance(first.loyalty * season)) continue;
        for (const p of members) if (rng.chance(p.age >= 18 ? 0.93 : 0.85)) attendees.push(p.index);
      }
    }
    const firstOfMonth = Number(sunday.slice(8, 10)) <= 7;
    const event: PlannedEvent = {
      title: firstOfMonth ? 'Communion Sunday' : 'Sunday service',
      kind: 'service',
      group: null,
      startsAt,
      visitorCount: past ? rng.int(2, 14) : 0,
      attendees,
    };
    plan.events.push(event);

    plan.groups.forEach((g, gi) => {
      const spec = GROUPS[gi];
      if (((w % spec.every) + spec.every) % spec.every !== 0) return;
      const date = addDays(sunday, spec.day === 0 ? 0 : spec.day - 7);
      if (date < addDays(opts.today, -7 * weeks) || daysBetween(opts.today, date) > 14) return;
      const meetingAt = instantOf(date, g.meetingTime, opts.timeZone);
      const isPast = meetingAt < opts.now;
      plan.events.push({
        title: g.name,
        kind: 'group_meeting',
        group: gi,
        startsAt: meetingAt,
        visitorCount: isPast && rng.chance(0.2) ? rng.int(1, 2) : 0,
        attendees: isPast
          ? g.members
              .filter((m) => (plan.people[m.person].joinedOn ?? '') <= date)
              .filter((m) => rng.chance(m.role === 'leader' ? 0.95 : 0.72))
              .map((m) => m.person)
          : [],
      });
    });
  }
}

function planGiving(rng: Random, opts: DemoOptions, plan: DemoPlan, people: Person[]): void {
  const weeks = Math.max(4, Math.round(52 * opts.scale));
  const start = addDays(opts.today, -7 * weeks);
  const lastSunday = onOrBefore(addDays(opts.today, -1), 0);
  const sundays = Array.from({ length: weeks }, (_, i) => addDays(lastSunday, -7 * i)).reverse();
  const give = (c: PlannedContribution) => {
    if (c.receivedOn >= start && c.receivedOn < opts.today) plan.contributions.push(c);
  };
  let checkNo = 1001;
  const reference = (method: PlannedContribution['method']) =>
    method === 'check' ? `Check ${checkNo++}` : method === 'online' ? `WEB-${rng.int(100000, 999999)}` : null;

  for (const p of people) {
    if (!active(p) || p.age < 18) continue;
    const pattern = rng.weighted([
      ['weekly', p.status === 'member' ? 31 : 18],
      ['biweekly', 12],
      ['monthly', 25],
      ['occasional', 14],
      ['none', p.status === 'member' ? 22 : 40],
    ]);
    const method = rng.weighted<PlannedContribution['method']>([
      ['cash', 20],
      ['check', 25],
      ['card', 15],
      ['online', 30],
      ['transfer', 10],
    ]);
    const from = p.joinedOn.localeCompare(start) > 0 ? p.joinedOn : start;
    const gift = (date: string, fund: string, amountCents: number, m = method) =>
      give({
        person: p.index,
        fund,
        amountCents,
        receivedOn: date,
        method: m,
        reference: reference(m),
        note: null,
      });
    if (pattern === 'weekly') {
      const amount = dollars(rng, 15, 160);
      for (const d of sundays)
        if (d >= from && rng.chance(method === 'online' ? 0.97 : 0.85)) gift(d, 'Tithe', amount);
    } else if (pattern === 'biweekly') {
      const amount = dollars(rng, 40, 300);
      sundays.forEach((d, i) => {
        if (i % 2 === 0 && d >= from) gift(d, 'Tithe', amount);
      });
    } else if (pattern === 'monthly') {
      const amount = dollars(rng, 100, 800, 10);
      for (let m = 0; m <= 12; m++) {
        const d = addDays(monthStart(monthsBefore(opts.today, m)), rng.int(0, 4));
        if (d >= from) gift(d, 'Tithe', amount, method === 'cash' ? 'transfer' : method);
      }
    } else if (pattern === 'occasional') {
      for (const d of rng.sample(sundays, rng.int(4, 12)))
        if (d >= from) gift(d, 'Tithe', dollars(rng, 10, 150));
    }
    // Beyond the tithe: a building pledge, missions support, the odd named offering.
    if (pattern !== 'none' && rng.chance(0.2)) {
      const amount = dollars(rng, 50, 500, 25);
      for (let m = 0; m <= 12; m += rng.chance(0.5) ? 1 : 3) {
        const d = addDays(monthStart(monthsBefore(opts.today, m)), rng.int(5, 20));
        if (d >= from) gift(d, 'Building', amount);
      }
    }
    if (pattern !== 'none' && rng.chance(0.15)) {
      const amount = dollars(rng, 20, 100);
      for (let m = 0; m <= 12; m++) {
        const d = addDays(monthStart(monthsBefore(opts.today, m)), rng.int(0, 27));
        if (d >= from) gift(d, 'Missions', amount);
      }
    }
    if (rng.chance(0.3)) {
      for (const d of rng.sample(sundays, rng.int(2, 8)))
        if (d >= from) gift(d, 'Offering', dollars(rng, 10, 60), 'cash');
    }
  }
  // The loose offering counted after each service, and a missions offering each quarter.
  sundays.forEach((d, i) => {
    give({
      person: null,
      fund: 'Offering',
      amountCents: rng.int(22_000, 95_000),
      receivedOn: d,
      method: 'cash',
      reference: null,
      note: 'Loose plate offering',
    });
    if (i % 13 === 6)
      give({
        person: null,
        fund: 'Missions',
        amountCents: rng.int(80_000, 260_000),
        receivedOn: d,
        method: 'cash',
        reference: null,
        note: 'Missions Sunday offering',
      });
  });
}

const MONTHLY_BILLS = [
  {
    category: 'Utilities',
    payee: 'Springfield Power & Light',
    fund: 'Offering',
    min: 420,
    max: 1150,
    day: 12,
  },
  { category: 'Utilities', payee: 'City of Springfield Water', fund: 'Offering', min: 85, max: 190, day: 15 },
  {
    category: 'Utilities',
    payee: 'Lincoln Telecom (internet and phone)',
    fund: 'Offering',
    min: 149.99,
    max: 149.99,
    day: 3,
  },
  { category: 'Insurance', payee: 'Church Mutual Insurance', fund: 'Tithe', min: 1240, max: 1240, day: 1 },
  {
    category: 'Salaries',
    payee: 'Payroll: pastoral and office staff',
    fund: 'Tithe',
    min: 11850,
    max: 11850,
    day: 28,
  },
  { category: 'Cleaning', payee: 'Sparkle Cleaning Services', fund: 'Offering', min: 420, max: 420, day: 5 },
  { category: 'Mortgage', payee: 'First Community Bank', fund: 'Building', min: 3250, max: 3250, day: 1 },
  { category: 'Missions', payee: 'Kibera Hope School', fund: 'Missions', min: 1500, max: 1500, day: 10 },
  { category: 'Missions', payee: 'Springfield Food Pantry', fund: 'Missions', min: 300, max: 300, day: 10 },
  { category: 'Software', payee: 'Planning Center', fund: 'Offering', min: 99, max: 99, day: 20 },
] as const;

const OCCASIONAL = [
  {
    category: 'Office supplies',
    payees: ['Office Depot', 'Staples', 'Amazon'],
    fund: 'Offering',
    min: 25,
    max: 320,
    count: 16,
  },
  {
    category: 'Hospitality',
    payees: ['Costco', 'Hy-Vee', 'Panera Bread'],
    fund: 'Offering',
    min: 60,
    max: 380,
    count: 20,
  },
  {
    category: 'Maintenance',
    payees: ['Miller Plumbing', 'Ace Hardware', 'Bright HVAC Services', 'Green Lawn Care'],
    fund: 'Building',
    min: 40,
    max: 2600,
    count: 16,
  },
  {
    category: 'Youth',
    payees: ['Camp Wildwood', 'Skyzone Springfield', 'Domino’s Pizza'],
    fund: 'Offering',
    min: 80,
    max: 1800,
    count: 9,
  },
  {
    category: 'Curriculum',
    payees: ['Lifeway', 'Christian Book Distributors'],
    fund: 'Offering',
    min: 45,
    max: 420,
    count: 6,
  },
  {
    category: 'Benevolence',
    payees: ['Utility bill assistance', 'Rent assistance', 'Grocery cards'],
    fund: 'Offering',
    min: 100,
    max: 650,
    count: 13,
  },
  {
    category: 'Worship',
    payees: ['CCLI licence', 'Sweetwater', 'Guitar Center'],
    fund: 'Offering',
    min: 60,
    max: 1400,
    count: 5,
  },
] as const;

function planExpenses(rng: Random, opts: DemoOptions, plan: DemoPlan): void {
  const weeks = Math.max(4, Math.round(52 * opts.scale));
  const start = addDays(opts.today, -7 * weeks);
  const spend = (e: PlannedExpense) => {
    if (e.spentOn >= start && e.spentOn < opts.today) plan.expenses.push(e);
  };
  for (let m = 0; m <= 12; m++) {
    const month = monthStart(monthsBefore(opts.today, m));
    for (const b of MONTHLY_BILLS) {
      spend({
        category: b.category,
        fund: b.fund,
        payee: b.payee,
        amountCents: b.min === b.max ? Math.round(b.min * 100) : rng.int(b.min * 100, b.max * 100),
        spentOn: addDays(month, b.day - 1),
        note: null,
      });
    }
  }
  for (const o of OCCASIONAL) {
    for (let i = 0; i < Math.round(o.count * opts.scale); i++) {
      spend({
        category: o.category,
        fund: o.fund,
        payee: rng.pick(o.payees),
        amountCents: rng.int(o.min * 100, o.max * 100),
        spentOn: addDays(opts.today, -rng.int(1, weeks * 7)),
        note: null,
      });
    }
  }
}

const ABOUT = `We are a family of believers of every age and background in the heart of Springfield.
We meet on Sundays to worship, and during the week in small groups to study, pray and look after one another.

**New here?** Stop by the welcome table in the lobby: we would love to meet you.
Children are welcome in the service, and there is a staffed nursery for the little ones.`;

const SERVICE_TIMES = `- **Sunday service:** 10:00 (communion on the first Sunday of the month)
- **Prayer meeting:** Mondays at 19:00
- **Youth Group:** Wednesdays at 18:30
- **Young Adults:** Fridays at 19:00`;

/** The demo church: about 300 people in about 110 households, a year of services, groups and giving. */
export function planChurch(opts: DemoOptions): DemoPlan {
  const rng = new Random(opts.seed);
  const plan: DemoPlan = {
    settings: {
      welcome_text: 'Welcome to Grace Community Church: a place to belong, believe and become.',
      about: ABOUT,
      service_times: SERVICE_TIMES,
      address: '1200 Church Street\nSpringfield, IL 62701',
      phone: '(217) 555-0100',
      contact_email: 'office@grace.example.org',
    },
    funds: [
      { name: 'Tithe', description: 'Regular tithes' },
      { name: 'Offering', description: 'General offerings' },
      { name: 'Building', description: 'Building and maintenance' },
      { name: 'Missions', description: 'Missionaries and outreach partners' },
    ],
    households: [],
    people: [],
    groups: [],
    events: [],
    contributions: [],
    expenses: [],
  };
  const people = planPeople(rng, opts, plan);
  planGroups(rng, opts, plan, people);
  planEvents(rng, opts, plan, people);
  planGiving(rng, opts, plan, people);
  planExpenses(rng, opts, plan);
  return plan;
}
