import { expect } from 'chai';
import type supertest from 'supertest';
import { Plan } from '../../../app/models/index.ts';
import { PLATFORM_HOST, postForm, signedInPlatformAdmin } from '../../support/auth.ts';
import { uniqueSlug } from '../../support/factories.ts';

const ROOT = PLATFORM_HOST;

describe('platform admin: plans', () => {
  let agent: supertest.Agent;
  let plan: Plan;

  // A plan of this test's own, so the seeded plans other tests rely on stay as they are.
  beforeEach(async () => {
    agent ??= (await signedInPlatformAdmin()).agent;
    plan = await Plan.create({
      code: uniqueSlug('gold').slice(0, 32),
      name: 'Gold',
      pricePerMonthCents: 123456,
      maxProjects: 5,
      maxTasks: null,
      maxMembers: 0,
      position: 99,
    });
  });

  const valid = { name: 'Gold', price: '9.00', maxProjects: '5', maxTasks: '', maxMembers: '0' };
  const update = (body: Record<string, string>) =>
    postForm(agent, ROOT, `/admin/plans/${plan.id}`, { ...valid, ...body }, `/admin/plans/${plan.id}/edit`);

  it('lists plans with the price per month as money and null limits as Unlimited', async () => {
    const res = await agent.get('/admin/plans').set('Host', ROOT).expect(200);
    const row = res.text.match(new RegExp(`<tr id="plan-${plan.code}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) =>
      m[1].replace(/<[^>]+>/g, '').trim(),
    );
    expect(cells.slice(0, 6)).to.deep.equal([plan.code, 'Gold', '$1,234.56', '5', 'Unlimited', '0']);
    expect(res.text).to.include('$29.00');
  });

  it('shows the edit form with the price as a decimal and unlimited as blank', async () => {
    const res = await agent.get(`/admin/plans/${plan.id}/edit`).set('Host', ROOT).expect(200);
    expect(res.text).to.match(/id="f-price" name="price" type="text"\s+value="1234.56"/);
    expect(res.text).to.match(/id="f-maxTasks" name="maxTasks" type="text"\s+value=""/);
  });

  it('saves the price in exact cents, read from the text and never through a float', async () => {
    const cases: [string, number][] = [
      ['29.99', 2999],
      ['0.1', 10],
      ['0.29', 29],
      ['12', 1200],
      [' 7.5 ', 750],
      ['1.10', 110],
      ['4.35', 435],
      ['9999999.99', 999999999],
    ];
    for (const [price, cents] of cases) {
      const res = await update({ price });
      expect(res.status, price).to.equal(302);
      await plan.reload();
      expect(plan.pricePerMonthCents, price).to.equal(cents);
    }
  });

  it('saves limits, blank meaning unlimited, and the name', async () => {
    const res = await update({ name: 'Gold <i>plus</i>', maxProjects: '', maxTasks: '250', maxMembers: '0' });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/plans');
    await plan.reload();
    expect([plan.name, plan.maxProjects, plan.maxTasks, plan.maxMembers]).to.deep.equal([
      'Gold <i>plus</i>',
      null,
      250,
      0,
    ]);
    const list = await agent.get('/admin/plans').set('Host', ROOT);
    expect(list.text).to.include('Gold &lt;i&gt;plus&lt;/i&gt;');
    expect(list.text).to.include('Gold &lt;i&gt;plus&lt;/i&gt; was saved.');
  });

  it('refuses a malformed price or limit with a field message, keeps the input, and changes nothing', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ price: '9.999' }, 'price'],
      [{ price: 'abc' }, 'price'],
      [{ price: '-1' }, 'price'],
      [{ price: '1,000' }, 'price'],
      [{ price: '1e3' }, 'price'],
      [{ price: '' }, 'price'],
      [{ price: '10000000' }, 'price'],
      [{ maxProjects: '-1' }, 'maxProjects'],
      [{ maxTasks: '1.5' }, 'maxTasks'],
      [{ maxMembers: 'ten' }, 'maxMembers'],
      [{ maxMembers: '99999999999' }, 'maxMembers'],
      [{ name: '' }, 'name'],
      [{ name: 'n'.repeat(61) }, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await update(body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.text, JSON.stringify(body)).to.match(
        new RegExp(`id="f-${field}" name="${field}" type="text"\\s+value="${Object.values(body)[0]}"`),
      );
      expect(res.text).to.match(new RegExp(`id="f-${field}"[\\s\\S]*?<div class="invalid-feedback">`));
    }
    await plan.reload();
    expect([
      plan.name,
      plan.pricePerMonthCents,
      plan.maxProjects,
      plan.maxTasks,
      plan.maxMembers,
    ]).to.deep.equal(['Gold', 123456, 5, null, 0]);
  });

  it('answers a malformed or unknown plan id with 404', async () => {
    for (const path of ['/admin/plans/abc/edit', '/admin/plans/0/edit', '/admin/plans/987654321/edit'])
      expect((await agent.get(path).set('Host', ROOT)).status, path).to.equal(404);
    const res = await postForm(agent, ROOT, '/admin/plans/abc', valid, '/admin/plans');
    expect(res.status).to.equal(404);
  });
});
