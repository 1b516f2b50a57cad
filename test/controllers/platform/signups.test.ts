import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../../app/db/database.ts';
import { Domain, Plan, Role, Tenant, User } from '../../../app/models/index.ts';
import { issueToken } from '../../../app/services/tokens.ts';
import { withTenant } from '../../../app/tenancy/context.ts';
import { csrfToken } from '../../support/auth.ts';
import { createTenant, http, uniqueSlug } from '../../support/factories.ts';
import { mailbox } from '../../support/mailbox.ts';

// Failed POST /signup count against attemptLimit('signup', 5) per client for the whole run (every
// agent is 127.0.0.1), so this file makes at most four of them.
const PLATFORM = 'localhost';
const DAY_MS = 86_400_000;

type SignupForm = Record<string, string>;

function validForm(overrides: SignupForm = {}): SignupForm {
  const slug = uniqueSlug('sign');
  return {
    name: 'Grace Chapel',
    kind: 'church',
    slug,
    adminName: 'Ada Pastor',
    email: `ada@${slug}.test`,
    password: 'a long enough password',
    plan: 'basic',
    ...overrides,
  };
}

/** Posts the sign-up form the way a browser does: its CSRF token from GET /signup first. */
async function postSignup(
  form: Record<string, string | string[]>,
  agent = http(),
): Promise<supertest.Response> {
  const _csrf = await csrfToken(agent, PLATFORM, '/signup');
  return agent
    .post('/signup')
    .set('Host', PLATFORM)
    .type('form')
    .send({ ...form, _csrf });
}

function handoffPathOf(res: supertest.Response, slug: string): string {
  const location = String(res.headers.location);
  const match = location.match(
    new RegExp(`^http://${slug}\\.localhost:3000(/session/handoff/[A-Za-z0-9_-]{20,})$`),
  );
  expect(match, `hand-off location: ${location}`).to.not.equal(null);
  return match?.[1] ?? '';
}

async function availability(slug?: string): Promise<supertest.Response> {
  const req = http().get('/signup/availability').set('Host', PLATFORM).set('Accept', 'application/json');
  return slug === undefined ? req : req.query({ slug });
}

async function schemaExists(schema: string): Promise<boolean> {
  const rows = await db().query('SELECT 1 FROM pg_namespace WHERE nspname = $1', {
    bind: [schema],
    type: QueryTypes.SELECT,
  });
  return rows.length === 1;
}

async function homeOf(agent: supertest.Agent, slug: string): Promise<supertest.Response> {
  return agent.get('/').set('Host', `${slug}.localhost`);
}

describe('self-service sign-up on the root domain', () => {
  describe('the form', () => {
    it('renders every field and the address suffix', async () => {
      const res = await http().get('/signup').set('Host', PLATFORM);
      expect(res.status).to.equal(200);
      for (const field of ['name', 'kind', 'slug', 'adminName', 'email', 'password', 'plan'])
        expect(res.text).to.include(`name="${field}"`);
      expect(res.text).to.include('.localhost</span>');
      expect(res.text).to.include('<script src="/assets/js/signup.js" defer></script>');
    });

    it('offers every plan in order of position, each with its exact price per month', async () => {
      // Other tests add plans to the shared table too, so this one checks order and labels, not a fixed list.
      const code = uniqueSlug('plan');
      const plan = await Plan.create({
        code,
        name: 'Large',
        pricePerMonthCents: 1_234_507,
        position: 1_000_000,
      });
      try {
        const res = await http().get('/signup').set('Host', PLATFORM);
        const options = [...res.text.matchAll(/<option value="([^"]+)"[^>]*>([^<]+)<\/option>/g)];
        const labels = new Map(options.map((m) => [m[1], m[2]]));
        const ordered = await Plan.findAll({
          order: [
            ['position', 'ASC'],
            ['id', 'ASC'],
          ],
        });
        expect(options.map((m) => m[1])).to.deep.equal(ordered.map((p) => p.code));
        expect(options.slice(0, 4).map((m) => [m[1], m[2]])).to.deep.equal([
          ['free', 'Free: $0.00 per month'],
          ['basic', 'Basic: $9.00 per month'],
          ['premium', 'Premium: $29.00 per month'],
          ['enterprise', 'Enterprise: $99.00 per month'],
        ]);
        expect(labels.get(code)).to.equal('Large: $12,345.07 per month');
      } finally {
        await plan.destroy();
      }
    });

    it('is linked from the platform home page as a free trial', async () => {
      const res = await http().get('/').set('Host', PLATFORM);
      expect(res.text).to.match(/<a class="[^"]*" href="\/signup">Start your free trial<\/a>/);
    });

    it('lets the browser follow the redirect to the new tenant host after submitting', async () => {
      const res = await http().get('/signup').set('Host', PLATFORM);
      expect(res.headers['content-security-policy']).to.include(
        "form-action 'self' http://*.localhost:3000;",
      );
      const home = await http().get('/').set('Host', PLATFORM);
      expect(home.headers['content-security-policy']).to.include("form-action 'self';");
    });

    it('serves its script from the app itself, with no inline script on the page', async () => {
      const script = await http().get('/assets/js/signup.js').set('Host', PLATFORM);
      expect(script.status).to.equal(200);
      const page = await http().get('/signup').set('Host', PLATFORM);
      expect(page.text).to.include('data-availability-url="/signup/availability"');
      expect(page.text).to.not.match(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(page.text).to.not.match(/\sstyle=/);
    });
  });

  describe('checking a subdomain as it is typed', () => {
    it('says an unused subdomain is available, with its full address', async () => {
      const slug = uniqueSlug('free');
      const res = await availability(`  ${slug.toUpperCase()} `);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ slug, available: true, message: `${slug}.localhost is available.` });
    });

    it('says a subdomain that a tenant already uses is taken', async () => {
      const tenant = await createTenant();
      const res = await availability(tenant.slug);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ slug: tenant.slug, available: false });
      expect(res.body.message).to.equal(`${tenant.slug}.localhost is already taken.`);
    });

    it('says reserved subdomains are not available', async () => {
      for (const slug of ['admin', 'www', 'api', 'public', 'pg-catalog']) {
        const res = await availability(slug);
        expect(res.status, slug).to.equal(200);
        expect(res.body.available, slug).to.equal(false);
        expect(res.body.message, slug).to.include('reserved');
      }
    });

    it('says malformed subdomains are not available, however long or odd they are', async () => {
      for (const slug of [
        'a',
        'Grace Chapel',
        '-grace',
        'grace--chapel',
        'église',
        '<b>x</b>',
        'x'.repeat(5000),
      ]) {
        const res = await availability(slug);
        expect(res.status, slug.slice(0, 20)).to.equal(200);
        expect(res.body.available).to.equal(false);
        expect(res.body.message).to.match(/^The subdomain (must be|may contain)/);
      }
    });

    it('answers 400 with JSON when no subdomain is given', async () => {
      for (const res of [await availability(), await availability('   ')]) {
        expect(res.status).to.equal(400);
        expect(res.type).to.equal('application/json');
        expect(res.body).to.include({ available: false });
        expect(res.body.message).to.be.a('string');
      }
    });
  });

  describe('signing up', () => {
    beforeEach(() => mailbox.clear());

    it('creates the tenant on a 14-day trial with its admin at permission level 0 in the new schema', async () => {
      const form = validForm({ email: 'Ada@Example.TEST', kind: 'company', plan: 'premium' });
      const res = await postSignup(form);
      expect(res.status, res.text.slice(0, 500)).to.equal(303);

      const tenant = await Tenant.findOne({ where: { slug: form.slug } });
      expect(tenant).to.not.equal(null);
      expect(tenant).to.include({ name: 'Grace Chapel', kind: 'company', plan: 'premium', status: 'trial' });
      const trialLeft = (tenant?.trialEndsAt?.getTime() ?? 0) - Date.now();
      expect(trialLeft).to.be.within(14 * DAY_MS - 60_000, 14 * DAY_MS + 1000);
      expect(await Domain.count({ where: { domain: `${form.slug}.localhost`, isPrimary: true } })).to.equal(
        1,
      );

      await withTenant((tenant as Tenant).toRef(), async () => {
        const users = await User.findAll({ include: [{ model: Role, as: 'roles' }] });
        expect(users).to.have.length(1);
        expect(users[0]).to.include({ email: 'ada@example.test', name: 'Ada Pastor' });
        expect(users[0].permissionLevel).to.equal(0);
      });
    });

    it('e-mails a welcome that the new tenant is marked on, with its address and trial end', async () => {
      const form = validForm();
      const res = await postSignup(form);
      expect(res.status).to.equal(303);
      const mail = await mailbox.waitFor(form.email);
      expect(mail.headers.get('x-steward-tenant')).to.equal(form.slug);
      expect(mail.subject).to.equal('Welcome to Steward: Grace Chapel is ready');
      expect(mail.text).to.include(`http://${form.slug}.localhost:3000/`);
      expect(mail.text).to.include('Your free trial runs until');
      expect(mail.text).to.include('Grace Chapel on Steward');
      expect(mail.text).to.not.include('[object');
      expect(mail.text).to.not.include(form.password);
    });

    it('redirects with 303 to a hand-off on the new subdomain that signs the admin in there', async () => {
      const form = validForm();
      const res = await postSignup(form);
      expect(res.status).to.equal(303);
      const path = handoffPathOf(res, form.slug);

      const browser = http();
      const handoff = await browser.get(path).set('Host', `${form.slug}.localhost`);
      expect(handoff.status).to.equal(302);
      expect(handoff.headers.location).to.equal('/');
      const home = await homeOf(browser, form.slug);
      expect(home.text).to.include('Signed in as <strong>Ada Pastor</strong>');
      expect(home.text).to.include('permission level 0');
    });

    it('shows HTML in the organisation name escaped on the new tenant home page and in the e-mail', async () => {
      const name = '<img src=x onerror=alert(1)> Église & Co 🎉';
      const form = validForm({ name });
      const res = await postSignup(form);
      expect(res.status).to.equal(303);
      const browser = http();
      await browser.get(handoffPathOf(res, form.slug)).set('Host', `${form.slug}.localhost`);
      const home = await homeOf(browser, form.slug);
      expect(home.text).to.include('&lt;img src=x onerror=alert(1)&gt; Église &amp; Co 🎉');
      expect(home.text).to.not.include('<img src=x');
      const mail = await mailbox.waitFor(form.email);
      expect(mail.subject).to.equal(`Welcome to Steward: ${name} is ready`);
      expect(mail.html).to.not.include('<img src=x');
    });
  });

  describe('the hand-off token', () => {
    it('works only once', async () => {
      const form = validForm();
      const path = handoffPathOf(await postSignup(form), form.slug);
      const first = await http().get(path).set('Host', `${form.slug}.localhost`);
      expect(first.status).to.equal(302);
      const browser = http();
      const second = await browser.get(path).set('Host', `${form.slug}.localhost`);
      expect(second.status).to.equal(410);
      expect((await homeOf(browser, form.slug)).text).to.not.include('Signed in as');
    });

    it('stops working once its lifetime is over', async () => {
      const tenant = await createTenant();
      const token = await withTenant(tenant.toRef(), async () => {
        const admin = await User.findOne({ where: { email: `admin@${tenant.slug}.test` } });
        return issueToken(String(admin?.id), 'login', 1);
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      const browser = http();
      const res = await browser.get(`/session/handoff/${token}`).set('Host', `${tenant.slug}.localhost`);
      expect(res.status).to.equal(410);
      expect((await homeOf(browser, tenant.slug)).text).to.not.include('Signed in as');
    });

    it('does not sign anyone in on another tenant host, and stays usable on its own', async () => {
      const other = await createTenant();
      const form = validForm();
      const path = handoffPathOf(await postSignup(form), form.slug);

      const browser = http();
      const elsewhere = await browser.get(path).set('Host', `${other.slug}.localhost`);
      expect(elsewhere.status).to.equal(410);
      expect((await homeOf(browser, other.slug)).text).to.not.include('Signed in as');

      const own = await http().get(path).set('Host', `${form.slug}.localhost`);
      expect(own.status).to.equal(302);
    });
  });

  describe('refusals', () => {
    it('names the problem of every field and keeps the input except the password', async () => {
      const res = await postSignup({
        name: 'x'.repeat(500),
        kind: ['church', 'company'],
        slug: 'Grace Chapel!',
        adminName: '',
        email: '<b>not-an-email</b>',
        password: 'short',
        plan: 'platinum',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Please correct the highlighted fields.');
      for (const message of [
        'must be at most 120 characters',
        'choose church or company',
        'may contain only lowercase letters, digits and single hyphens',
        'is required',
        'must be an e-mail address',
        'must be at least 10 characters',
        'choose one of the plans shown',
      ])
        expect(res.text).to.include(message);
      expect(res.text).to.include(`value="${'x'.repeat(300)}"`);
      expect(res.text).to.include('value="Grace Chapel!"');
      expect(res.text).to.include('value="&lt;b&gt;not-an-email&lt;/b&gt;"');
      expect(res.text).to.not.include('<b>not-an-email</b>');
      expect(res.text).to.not.include('value="short"');
      expect(await Tenant.count({ where: { name: 'x'.repeat(120) } })).to.equal(0);
    });

    it('refuses a subdomain that is already taken and keeps the form filled in', async () => {
      const taken = await createTenant();
      const form = validForm({ slug: taken.slug, name: 'Second Grace' });
      const res = await postSignup(form);
      expect(res.status).to.equal(422);
      expect(res.text).to.include(`&#34;${taken.slug}&#34; is already taken`);
      expect(res.text).to.include('value="Second Grace"');
      expect(await Tenant.count({ where: { slug: taken.slug } })).to.equal(1);
    });

    it('refuses a reserved subdomain', async () => {
      const res = await postSignup(validForm({ slug: 'admin' }));
      expect(res.status).to.equal(422);
      expect(res.text).to.include('&#34;admin&#34; is reserved');
      expect(await Tenant.count({ where: { slug: 'admin' } })).to.equal(0);
    });

    it('lets exactly one of two concurrent sign-ups for one subdomain succeed and leaves nothing of the other', async () => {
      const slug = uniqueSlug('race');
      const forms = [
        validForm({ slug, name: 'First', email: `first@${slug}.test` }),
        validForm({ slug, name: 'Second', email: `second@${slug}.test` }),
      ];
      const agents = [http(), http()];
      const tokens = await Promise.all(agents.map((a) => csrfToken(a, PLATFORM, '/signup')));
      const results = await Promise.all(
        forms.map((form, i) =>
          agents[i]
            .post('/signup')
            .set('Host', PLATFORM)
            .type('form')
            .send({ ...form, _csrf: tokens[i] }),
        ),
      );
      expect(results.map((r) => r.status).sort()).to.deep.equal([303, 422]);
      const winner = results[0].status === 303 ? forms[0] : forms[1];
      const loser = results[0].status === 303 ? results[1] : results[0];
      expect(loser.text).to.include('is already taken');

      const tenants = await Tenant.findAll({ where: { slug } });
      expect(tenants.map((t) => t.name)).to.deep.equal([winner.name]);
      expect(await Domain.count({ where: { domain: `${slug}.localhost` } })).to.equal(1);
      await withTenant(tenants[0].toRef(), async () => {
        expect((await User.findAll()).map((u) => u.email)).to.deep.equal([winner.email]);
      });
    });

    it('refuses a sign-up without a CSRF token and creates nothing', async () => {
      const agent = http();
      await agent.get('/signup').set('Host', PLATFORM);
      const form = validForm();
      const res = await agent.post('/signup').set('Host', PLATFORM).type('form').send(form);
      expect(res.status).to.equal(403);
      expect(await Tenant.count({ where: { slug: form.slug } })).to.equal(0);
      expect(await schemaExists(`t_${form.slug}`)).to.equal(false);
    });
  });
});
