import { expect } from 'chai';
import type supertest from 'supertest';
import {
  Contribution,
  Expense,
  Fund,
  Group,
  Household,
  Member,
  Project,
  Task,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf } from '../support/factories.ts';

/** Markup a person could type into any text field, and how a page must show it. */
const PAYLOADS = [
  { raw: '<script>x</script>', escaped: '&lt;script&gt;x&lt;/script&gt;' },
  { raw: '"><img src=x onerror=alert(1)>', escaped: '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;' },
];

/** One text field: stores `text` in a new record and names the pages that show that field. */
interface Field {
  name: string;
  store(text: string): Promise<string[]>;
}

describe('boundaries: text people typed is escaped on every page that shows it', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let admin: supertest.Agent;
  let fundId: string;
  const inTenant = <T>(fn: () => Promise<T>) => withTenant(tenant.toRef(), fn);

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    admin = await signedIn(tenant, adminEmail(tenant));
    const fund = await inTenant(() => Fund.findOne({ order: [['id', 'ASC']] }));
    fundId = String(fund?.id);
  });

  const member = (fields: Partial<Member>) =>
    inTenant(() =>
      Member.create({
        firstName: 'Plain',
        lastName: 'Person',
        email: null,
        phone: null,
        address: null,
        birthDate: null,
        joinedOn: null,
        notes: null,
        householdId: null,
        userId: null,
        ...fields,
      }),
    );
  const project = (fields: Partial<Project>) =>
    inTenant(() =>
      Project.create({
        name: 'Plain project',
        description: null,
        startsOn: null,
        endsOn: null,
        ownerId: null,
        ...fields,
      }),
    );
  const task = async (fields: Partial<Task>) => {
    const p = await project({});
    const t = await inTenant(() =>
      Task.create({
        projectId: p.id,
        title: 'Plain task',
        description: null,
        assigneeId: null,
        dueAt: null,
        completedAt: null,
        createdBy: null,
        ...fields,
      }),
    );
    return { p, t };
  };
  const expense = (fields: Partial<Expense>) =>
    inTenant(() =>
      Expense.create({
        category: 'Supplies',
        fundId,
        amountCents: '100',
        spentOn: '2025-05-06',
        payee: 'Plain payee',
        note: null,
        receiptKey: null,
        receiptName: null,
        receiptType: null,
        createdBy: null,
        ...fields,
      }),
    );

  const FIELDS: Field[] = [
    {
      name: "a member's first name (list and heading)",
      store: async (text) => {
        const m = await member({ firstName: text });
        return ['/members', `/members/${m.id}`];
      },
    },
    {
      name: "a member's last name (list and heading)",
      store: async (text) => {
        const m = await member({ lastName: text });
        return ['/members', `/members/${m.id}`];
      },
    },
    {
      name: "a member's notes",
      store: async (text) => [`/members/${(await member({ notes: text })).id}`],
    },
    {
      name: "a member's address",
      store: async (text) => [`/members/${(await member({ address: text })).id}`],
    },
    {
      name: "a household's name",
      store: async (text) => {
        const h = await inTenant(() => Household.create({ name: text, address: null, phone: null }));
        return ['/households', `/households/${h.id}`];
      },
    },
    {
      name: "a group's name and description",
      store: async (text) => {
        const g = await inTenant(() =>
          Group.create({ name: text, description: text, meetingDay: null, meetingTime: null }),
        );
        return ['/groups', `/groups/${g.id}`];
      },
    },
    {
      name: "a project's name and description",
      store: async (text) => {
        const p = await project({ name: text, description: text });
        return ['/projects', `/projects/${p.id}`];
      },
    },
    {
      name: "a task's title and description",
      store: async (text) => {
        const { p, t } = await task({ title: text, description: text });
        return [`/projects/${p.id}`, `/tasks/${t.id}`];
      },
    },
    {
      name: "an expense's payee and note",
      store: async (text) => {
        const e = await expense({ payee: text, note: text });
        return ['/finance/expenses', `/finance/expenses/${e.id}`];
      },
    },
    {
      name: "a contribution's note and the giver's name",
      store: async (text) => {
        const m = await member({ firstName: text });
        const c = await inTenant(() =>
          Contribution.create({
            memberId: m.id,
            fundId,
            amountCents: '100',
            receivedOn: '2025-02-09',
            method: 'cash',
            reference: null,
            note: text,
            createdBy: null,
          }),
        );
        return ['/finance/contributions', `/finance/contributions/${c.id}`];
      },
    },
    {
      name: "a staff user's name",
      store: async (text) => {
        const u: User = await createUser(tenant, { name: text });
        return ['/users', `/users/${u.id}`];
      },
    },
  ];

  for (const field of FIELDS)
    for (const { raw, escaped } of PAYLOADS)
      it(`escapes ${raw} in ${field.name}`, async () => {
        const pages = await field.store(raw);
        for (const page of pages) {
          const res = await admin.get(page).set('Host', hostOf(tenant));
          expect(res.status, page).to.equal(200);
          expect(res.text, `${page} shows the markup as markup`).not.to.include(raw);
          expect(res.text, `${page} shows the text`).to.include(escaped);
        }
      });
});
