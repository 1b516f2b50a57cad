import { expect } from 'chai';
import { postForm } from '../support/auth.ts';
import { type ProjectWorld, projectWorld } from '../support/collaboration.ts';
import { mailbox } from '../support/mailbox.ts';

describe('the project report by e-mail (POST /projects/:id/report/email)', function () {
  this.timeout(30_000);
  let w: ProjectWorld;

  before(async () => {
    w = await projectWorld();
  });

  it('queues the report, shows its progress, then e-mails the generated file to the person who asked', async () => {
    mailbox.clear();
    const report = await w.as.member.get(`/projects/${w.project.id}/report`).set('Host', w.host).expect(200);
    expect(report.text).to.include(`action="/projects/${w.project.id}/report/email"`);
    const res = await postForm(
      w.as.member,
      w.host,
      `/projects/${w.project.id}/report/email`,
      {},
      `/projects/${w.project.id}`,
    );
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.match(new RegExp(`^/projects/${w.project.id}/reports/\\d+$`));
    const page = await w.as.member.get(res.headers.location).set('Host', w.host).expect(200);
    expect(page.text).to.include(`it will be e-mailed to ${w.users.member.email}.`);

    const mail = await mailbox.waitFor(w.users.member.email, 10_000);
    expect(mail.subject).to.match(/^Report: Roof repair \(\d{4}-\d{2}-\d{2}\)$/);
    expect(mail.headers.get('x-steward-tenant')).to.equal(w.tenant.slug);
    expect(mail.text).to.include(`Roof repair (${w.tenant.name})`);
    expect(mail.attachments).to.have.length(1);
    const [csv] = mail.attachments;
    expect(csv.filename).to.match(/^Roof repair report \d{4}-\d{2}-\d{2}\.csv$/);
    expect(csv.contentType).to.equal('text/csv');
    const content = csv.content.toString('utf8');
    expect(content).to.include('Project,Roof repair');
    expect(content).to.include('Tasks by status and assignee');
    expect(mailbox.to(w.users.builder.email)).to.have.length(0);

    // The attachment is the file the job stored, which the page now links.
    const done = await w.as.member.get(res.headers.location).set('Host', w.host).expect(200);
    expect(done.text).to.include('data-report-status="done"');
    expect(done.text).to.include(`It was e-mailed to ${w.users.member.email}.`);
    const file = await w.as.member.get(`${res.headers.location}/file`).set('Host', w.host).expect(200);
    expect(file.text).to.equal(content);
    await mailbox.settled();
    expect(mailbox.to(w.users.member.email)).to.have.length(1);
  });

  it('e-mails the report to another person of the project chosen on the page, and lists the request there', async () => {
    mailbox.clear();
    const report = await w.as.member.get(`/projects/${w.project.id}/report`).set('Host', w.host).expect(200);
    expect(report.text).to.include(
      `<option value="${w.users.builder.id}">Bob Builder (${w.users.builder.email})</option>`,
    );
    expect(report.text).not.to.include(w.users.outsider.email);
    const res = await postForm(
      w.as.member,
      w.host,
      `/projects/${w.project.id}/report/email`,
      { userId: String(w.users.builder.id) },
      `/projects/${w.project.id}`,
    );
    expect(res.status).to.equal(302);
    const mail = await mailbox.waitFor(w.users.builder.email, 10_000);
    expect(mail.text).to.include('Hello Bob Builder');
    expect(mail.attachments).to.have.length(1);
    await mailbox.settled();
    expect(mailbox.to(w.users.member.email)).to.have.length(0);
    const again = await w.as.member.get(`/projects/${w.project.id}/report`).set('Host', w.host).expect(200);
    expect(again.text).to.include(`href="${res.headers.location}"`);
    expect(again.text).to.include(`for ${w.users.builder.email}`);
  });

  it('refuses a recipient outside the project or a malformed one with 422, and queues nothing', async () => {
    mailbox.clear();
    for (const userId of [String(w.users.outsider.id), 'abc', '99999999']) {
      const res = await postForm(w.as.member, w.host, `/projects/${w.project.id}/report/email`, { userId });
      expect(res.status, userId).to.equal(422);
    }
    await mailbox.settled();
    expect(mailbox.messages).to.have.length(0);
  });

  it('answers 404 to someone outside the project and for a malformed id, and sends nothing', async () => {
    mailbox.clear();
    const outside = await postForm(w.as.outsider, w.host, `/projects/${w.project.id}/report/email`, {});
    expect(outside.status).to.equal(404);
    const bad = await postForm(w.as.member, w.host, '/projects/abc/report/email', {});
    expect(bad.status).to.equal(404);
    await mailbox.settled();
    expect(mailbox.messages).to.have.length(0);
  });
});
