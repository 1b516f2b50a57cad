import { expect } from 'chai';
import { Setting, type Tenant } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

async function setTexts(tenant: Tenant, texts: Record<string, string>): Promise<void> {
  await inTenant(tenant, async () => {
    for (const [key, value] of Object.entries(texts)) await Setting.upsert({ key, value });
  });
}

const TEXTS = {
  welcome_text: 'Welcome <b>home</b>, friends & neighbours',
  about:
    'We are a **small church** by the river.\n\n<script>alert("about")</script>\n\n[Our story](https://example.org/story) and [bad](javascript:alert(1))',
  service_times: '- Sunday 10:00 <img src=x onerror="alert(2)">\n- Wednesday 19:30',
  address: '12 River Road\nSpringfield, IL 62701',
  phone: '+1 (217) 555-0100',
  contact_email: 'office@river.example.org',
};

describe('tenant public page', () => {
  it('shows the name, welcome, about, service times and contact details to a visitor, Markdown rendered and safe', async () => {
    const tenant = await createTenant({ kind: 'church', name: 'St <Mark> & "River" Church' });
    await setTexts(tenant, TEXTS);
    const res = await http().get('/').set('Host', hostOf(tenant)).expect(200);
    const page = res.text;

    expect(page).to.include(
      '<h1 class="display-6 fw-semibold mb-2">St &lt;Mark&gt; &amp; &#34;River&#34; Church</h1>',
    );
    expect(page).to.include('Welcome &lt;b&gt;home&lt;/b&gt;, friends &amp; neighbours');
    // Markdown becomes HTML, and anything able to run a script is dropped.
    expect(page).to.include('We are a <strong>small church</strong> by the river.');
    expect(page).to.include(
      '<a href="https://example.org/story" rel="nofollow noopener" target="_blank">Our story</a>',
    );
    expect(page).not.to.include('alert("about")');
    expect(page).not.to.include('javascript:');
    expect(page).not.to.include('onerror');
    expect(page).to.match(
      /<h2 class="h4" id="times-title">Service times<\/h2>\s*<div class="text-break"><ul>\s*<li>Sunday 10:00/,
    );
    expect(page).to.include('<li>Wednesday 19:30</li>');
    expect(page).to.include('12 River Road<br>Springfield, IL 62701<br>');
    expect(page).to.include('<a href="tel:+12175550100">+1 (217) 555-0100</a>');
    expect(page).to.include('<a href="mailto:office@river.example.org">office@river.example.org</a>');
    expect(page).to.include('<a class="btn btn-primary" href="/login">Sign in</a>');
    // The only scripts are the app's own files: no inline script, style or handler (the CSP forbids them).
    expect(page).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.to.match(/\sstyle=|\son[a-z]+=/i);
    expect(page).not.to.include('Signed in as');
  });

  it('uses neutral words for a company and leaves out the sections it has no text for', async () => {
    const tenant = await createTenant({ kind: 'company', name: 'Globex Works' });
    await setTexts(tenant, {
      about: '',
      service_times: 'Monday to Friday, 9 to 5',
      address: '',
      phone: '',
      contact_email: '',
    });
    const page = (await http().get('/').set('Host', hostOf(tenant)).expect(200)).text;
    expect(page).to.include('Globex Works');
    expect(page).to.include('Welcome to Globex Works.');
    expect(page).to.include('Opening hours');
    expect(page).not.to.include('Service times');
    expect(page).not.to.include('About us');
    expect(page).not.to.include('id="contact"');
    expect(page).not.to.include('Plan a visit');
  });

  it('shows signed-in staff their dashboard instead of the public page', async () => {
    const tenant = await createTenant({ kind: 'church' });
    await setTexts(tenant, TEXTS);
    await createUser(tenant, { level: 5, email: 'reader@home.test', name: 'Rita Reader' });
    const agent = await signedIn(tenant, 'reader@home.test');
    const page = (await agent.get('/').set('Host', hostOf(tenant)).expect(200)).text;
    expect(page).to.include('Hello, Rita');
    expect(page).to.include('Signed in as <strong>Rita Reader</strong>');
    expect(page).not.to.include('small church');
    expect(page).not.to.include('href="/login"');
  });
});
