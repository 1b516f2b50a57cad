import { expect } from 'chai';
import type supertest from 'supertest';
import { Project } from '../../app/models/index.ts';
import { payingTenant, ROOT, signedInAdmin } from '../jobs/billing-support.ts';
import { csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTask, inTenant } from '../support/collaboration.ts';
import { adminEmail, createTenant, hostOf } from '../support/factories.ts';
import { fundNamed } from '../support/finance.ts';

const NUL = 'before\u0000after';

describe('every form refuses a NUL in its free text with a 422 and the field message', function () {
  this.timeout(60_000);
  let agent: supertest.Agent;
  let host: string;
  let projectId: string;
  let taskId: string;
  let fundId: string;

  before(async () => {
    const tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    agent = await signedIn(tenant, adminEmail(tenant));
    const project = await inTenant(tenant, () =>
      Project.create({ name: 'Roof', description: null, startsOn: null, endsOn: null, ownerId: null }),
    );
    projectId = String(project.id);
    taskId = String((await createTask(tenant, projectId, 'Order tiles')).id);
    fundId = await fundNamed(tenant, 'Building');
  });

  // [form, path, page holding the form, body, field with the NUL]
  const cases: [string, () => string, () => string, () => Record<string, string>, string][] = [
    [
      'member',
      () => '/members',
      () => '/members/new',
      () => ({ firstName: 'Ann', lastName: 'Lee', status: 'member' }),
      'notes',
    ],
    [
      'member',
      () => '/members',
      () => '/members/new',
      () => ({ lastName: 'Lee', status: 'member' }),
      'firstName',
    ],
    [
      'task',
      () => `/projects/${projectId}/tasks`,
      () => `/projects/${projectId}`,
      () => ({ priority: 'low', status: 'todo' }),
      'title',
    ],
    [
      'task',
      () => `/projects/${projectId}/tasks`,
      () => `/projects/${projectId}`,
      () => ({ title: 'Fix', priority: 'low', status: 'todo' }),
      'description',
    ],
    ['comment', () => `/tasks/${taskId}/comments`, () => `/tasks/${taskId}`, () => ({}), 'body'],
    ['settings', () => '/settings', () => '/settings', () => ({ time_zone: 'UTC' }), 'welcome_text'],
    ['settings', () => '/settings', () => '/settings', () => ({ time_zone: 'UTC' }), 'about'],
    ['settings', () => '/settings', () => '/settings', () => ({ time_zone: 'UTC' }), 'address'],
    ['household', () => '/households', () => '/households/new', () => ({}), 'name'],
  ];

  for (const [form, path, page, body, field] of cases) {
    it(`on the ${form} form's ${field}`, async () => {
      const res = await postForm(agent, host, path(), { ...body(), [field]: NUL }, page());
      expect(res.status, res.text.slice(0, 300)).to.equal(422);
      expect(res.text).to.include('must not contain control characters');
    });
  }

  it("on the platform admin's top-up note and credit-adjustment note", async () => {
    const { agent: admin } = await signedInAdmin();
    const tenant = await payingTenant('basic', 1000);
    for (const [path, body, field] of [
      ['top-ups', { amount: '5' }, 'note'],
      ['adjustments', { adjustAmount: '5' }, 'adjustNote'],
    ] as const) {
      const res = await postForm(
        admin,
        ROOT,
        `/admin/tenants/${tenant.id}/${path}`,
        { ...body, [field]: NUL },
        '/admin',
      );
      expect(res.status, `${field}: ${res.text.slice(0, 300)}`).to.equal(422);
      expect(res.text).to.match(new RegExp(`id="f-${field}"[^>]*is-invalid|is-invalid[^>]*id="f-${field}"`));
      expect(res.text).to.include('must not contain control characters');
    }
  });

  it("on the expense form's note (its memo) and payee", async () => {
    for (const field of ['note', 'payee']) {
      const token = await csrfToken(agent, host, '/finance/expenses/new');
      const fields: Record<string, string> = {
        category: 'Utilities',
        fundId,
        amount: '12.00',
        spentOn: '2025-05-06',
        payee: 'City Power',
        note: 'May bill',
        [field]: NUL,
      };
      let req = agent.post(`/finance/expenses?_csrf=${encodeURIComponent(token)}`).set('Host', host);
      for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
      const res = await req;
      expect(res.status, `${field}: ${res.text.slice(0, 300)}`).to.equal(422);
      expect(res.text).to.include('must not contain control characters');
    }
  });
});
