import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, PlatformAdmin, Project, Task, type Tenant } from '../../app/models/index.ts';
import { addDays, topUp } from '../../app/services/billing.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { chargeFor, freshDay, payingTenant } from '../jobs/billing-support.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { hostOf, http, testPasswordHash, uniqueSlug } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

/** The text of the element with that id (tags stripped, spaces collapsed). */
function textOf(html: string, id: string): string {
  const match = html.match(new RegExp(`<(\\w+)[^>]*id="${id}"[^>]*>([\\s\\S]*?)</\\1>`));
  if (!match) throw new Error(`No element ${id}`);
  return match[2]
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The past-due banner's markup. */
function bannerOf(html: string): string {
  return html.match(/<div[^>]*id="past-due-banner"[^>]*>([\s\S]*?)<\/div>/)?.[1] ?? '';
}

describe('tenant billing page', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let owner: supertest.Agent;
  let ownerEmail: string;
  let host: string;

  before(async () => {
    tenant = await payingTenant('basic', 1000, { kind: 'church' });
    host = hostOf(tenant);
    ownerEmail = (await createUser(tenant, { level: 0, name: 'Olive Owner' })).email;
    await createUser(tenant, { level: 1, email: `finance@${tenant.slug}.test` });
    await withTenant(tenant.toRef(), async () => {
      const a = await Project.create({ name: 'Roof' });
      const b = await Project.create({ name: 'Choir trip' });
      await Task.bulkCreate([
        { projectId: a.id, title: 'Quotes' },
        { projectId: a.id, title: 'Scaffold' },
        { projectId: b.id, title: 'Bus' },
      ] as never);
    });
    owner = await signedIn(tenant, ownerEmail);
  });

  it('shows the balance, the days it lasts, the usage meters and the ledger to a super admin', async () => {
    const day = freshDay();
    await chargeFor(day);
    await topUp(String(tenant.id), { amountCents: '500', note: 'Bank transfer 77' }, null);
    const res = await owner.get('/billing').set('Host', host);
    expect(res.status).to.equal(200);
    expect(textOf(res.text, 'balance')).to.equal('$14.70');
    expect(textOf(res.text, 'days-left')).to.match(
      /^Lasts about 49 days at your plan's price \(through \d{4}-\d{2}-\d{2}\)\.$/,
    );
    expect(textOf(res.text, 'plan-name')).to.equal('Basic');
    expect(res.text).to.match(/id="meter-projects"[\s\S]*?meter-used">2<[\s\S]*?meter-limit">5</);
    expect(res.text).to.match(/id="meter-tasks"[\s\S]*?meter-used">3<[\s\S]*?meter-limit">50</);
    // Three active staff accounts: the first admin, the owner and the finance admin.
    expect(res.text).to.match(/id="meter-members"[\s\S]*?meter-used">3<[\s\S]*?meter-limit">10</);
    expect(res.text).to.include('Bank transfer 77');
    expect(res.text).to.match(/ledger-top_up[\s\S]*?5\.00[\s\S]*?14\.70/);
    expect(res.text).to.match(
      new RegExp(`ledger-charge[\\s\\S]*?${day}[\\s\\S]*?-\\$?0\\.30[\\s\\S]*?9\\.70`),
    );
    expect(res.text).to.not.include('past-due-notice');
  });

  it('pages the ledger, newest first, and shows the first page for a bad page number', async () => {
    const start = freshDay();
    for (let i = 0; i < 22; i++) await chargeFor(addDays(start, i));
    const first = await owner.get('/billing').set('Host', host);
    const rows = (html: string) => (html.match(/<tr class="ledger-/g) ?? []).length;
    expect(rows(first.text)).to.equal(20);
    expect(first.text).to.include(addDays(start, 21));
    expect(first.text).to.include('href="/billing?page=2"');
    const second = await owner.get('/billing?page=2').set('Host', host);
    expect(second.status).to.equal(200);
    expect(rows(second.text)).to.be.within(1, 20);
    expect(second.text).to.include('Bank transfer 77');
    const bad = await owner.get('/billing?page=abc').set('Host', host);
    expect(bad.status).to.equal(200);
    expect(rows(bad.text)).to.equal(20);
  });

  it('is refused to people below super admin', async () => {
    const finance = await signedIn(tenant, `finance@${tenant.slug}.test`);
    const res = await finance.get('/billing').set('Host', host);
    expect(res.status).to.equal(403);
    expect(res.text).to.not.include('id="balance"');
  });

  it('warns a past-due tenant of the day it will be suspended', async () => {
    const late = await payingTenant('premium', -500);
    await late.update({ status: 'past_due', pastDueSince: '2026-11-20' });
    const email = (await createUser(late, { level: 0 })).email;
    const agent = await signedIn(late, email);
    const res = await agent.get('/billing').set('Host', hostOf(late));
    expect(res.status).to.equal(200);
    expect(textOf(res.text, 'past-due-notice')).to.include('Please top up before 2026-11-27');
    expect(textOf(res.text, 'balance')).to.equal('-$5.00');
    expect(textOf(res.text, 'days-left')).to.equal('Your credit does not cover another day.');
  });

  it('says on every page of a past-due tenant that it is past due, with the billing link for those who can pay', async () => {
    const active = await owner.get('/profile').set('Host', host);
    expect(active.text).to.not.include('past-due-banner');
    const late = await payingTenant('basic', -100);
    await late.update({ status: 'past_due', pastDueSince: '2026-11-20' });
    const admin = await signedIn(late, (await createUser(late, { level: 0 })).email);
    const member = await signedIn(late, (await createUser(late, { level: 5 })).email);
    for (const path of ['/', '/profile', '/notifications']) {
      const res = await admin.get(path).set('Host', hostOf(late));
      expect(res.status, path).to.equal(200);
      expect(textOf(res.text, 'past-due-banner'), path).to.include('This account is past due');
      expect(bannerOf(res.text), path).to.include('href="/billing"');
    }
    const seen = await member.get('/profile').set('Host', hostOf(late));
    expect(textOf(seen.text, 'past-due-banner')).to.include('Your administrator can top it up');
    expect(bannerOf(seen.text)).to.not.include('href="/billing"');
    const signedOut = await http().get('/login').set('Host', hostOf(late));
    expect(signedOut.text).to.not.include('past-due-banner');
  });

  describe('asking for another plan', () => {
    it('e-mails every active platform admin and records the request in the audit log', async () => {
      const retired = await PlatformAdmin.create({
        email: `${uniqueSlug('retired')}@steward.test`,
        name: 'Retired Ops',
        passwordHash: await testPasswordHash(),
        lastLoginAt: null,
        active: false,
      });
      const admins = await Promise.all(
        ['a', 'b'].map(async (n) =>
          PlatformAdmin.create({
            email: `${uniqueSlug(`ops${n}`)}@steward.test`,
            name: `Ops ${n}`,
            passwordHash: await testPasswordHash(),
            lastLoginAt: null,
          }),
        ),
      );
      await mailbox.settled();
      mailbox.clear();
      const res = await postForm(
        owner,
        host,
        '/billing/plan-requests',
        {
          plan: 'premium',
          message: 'We are growing fast',
        },
        '/billing',
      );
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/billing');
      // One e-mail job per active platform admin (other tests leave many): wait for all of them.
      await mailbox.settled(20_000);
      for (const admin of admins) {
        const mail = await mailbox.waitFor(admin.email);
        expect(mail.subject).to.equal(`${tenant.name} asks for the Premium plan`);
        expect(mail.text).to.include('Olive Owner');
        expect(mail.text).to.include('from the Basic plan to Premium ($29.00 a month)');
        expect(mail.text).to.include('We are growing fast');
        expect(mail.text).to.include(`/admin/tenants/${tenant.id}`);
      }
      expect(mailbox.to(retired.email)).to.have.length(0);
      const entry = await withTenant(tenant.toRef(), () =>
        AuditLog.findOne({ where: { action: 'billing.plan_requested' }, order: [['id', 'DESC']] }),
      );
      expect(entry?.actorName).to.equal('Olive Owner');
      expect(entry?.changes.plan).to.deep.equal({ from: 'basic', to: 'premium' });
      const page = await owner.get('/billing').set('Host', host);
      expect(page.text).to.include('Your request for the Premium plan was sent');
      // Asking changes nothing by itself.
      await tenant.reload();
      expect(tenant.plan).to.equal('basic');
    });

    for (const [label, plan, message] of [
      ['no plan', '', 'choose a plan'],
      ['an unknown plan', 'platinum', 'choose a plan from the list'],
      ['the current plan', 'basic', 'is already your plan'],
    ] as const) {
      it(`answers 422 with the form kept for ${label}, and sends nothing`, async () => {
        await mailbox.settled(20_000);
        mailbox.clear();
        const res = await postForm(
          owner,
          host,
          '/billing/plan-requests',
          { plan, message: 'Kept text' },
          '/billing',
        );
        expect(res.status).to.equal(422);
        expect(res.text).to.include(message);
        expect(res.text).to.include('Kept text');
        expect(res.text).to.include('id="balance"');
        await mailbox.settled();
        expect(mailbox.messages).to.have.length(0);
      });
    }
  });
});
