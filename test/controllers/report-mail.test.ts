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

  it('answers at once, then e-mails the report as a CSV attachment to the person who asked', async () => {
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
    expect(res.headers.location).to.equal(`/projects/${w.project.id}/report`);
    const page = await w.as.member.get(`/projects/${w.project.id}`).set('Host', w.host);
    expect(page.text).to.include(`The report is on its way to ${w.users.member.email}.`);

    const mail = await mailbox.waitFor(w.users.member.email, 5000);
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
  });

  it('answers 404 to someone outside the project and for a malformed id, and sends nothing', async () => {
    mailbox.clear();
    const outside = await postForm(w.as.outsider, w.host, `/projects/${w.project.id}/report/email`, {});
    expect(outside.status).to.equal(404);
    const bad = await postForm(w.as.member, w.host, '/projects/abc/report/email', {});
    expect(bad.status).to.equal(404);
    await new Promise((r) => setTimeout(r, 300));
    expect(mailbox.messages).to.have.length(0);
  });
});
