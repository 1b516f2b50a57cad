import { expect } from 'chai';
import { Notification, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { mailbox } from '../support/mailbox.ts';
import { chargeFor, fresh, freshDay, payingTenant } from './billing-support.ts';

describe('credit billing notices to super admins', function () {
  this.timeout(60_000);

  it('tells the super admins in the app, once per day, when the credit runs out', async () => {
    const tenant = await payingTenant('basic', 10);
    const member = await createUser(tenant, { level: 5 });
    const day = freshDay();
    await chargeFor(day);
    expect((await fresh(tenant)).status).to.equal('past_due');
    await chargeFor(day);
    const notices = await withTenant(tenant.toRef(), async () => {
      const admin = await User.findOne({
        where: { email: `admin@${tenant.slug}.test` },
        rejectOnEmpty: true,
      });
      return {
        admin: await Notification.findAll({ where: { userId: admin.id, kind: 'billing.past_due' } }),
        member: await Notification.count({ where: { userId: member.id } }),
      };
    });
    expect(notices.admin).to.have.length(1);
    expect(notices.admin[0].title).to.equal('Your Steward credit has run out');
    expect(notices.admin[0].url).to.equal('/billing');
    expect(notices.admin[0].dedupeKey).to.equal(`billing:past_due:${day}`);
    expect(notices.member).to.equal(0);
  });

  it('warns the super admins in the app and by e-mail when the credit lasts 7, 3 or 1 more days, once a day, and not at 8', async () => {
    // Basic costs 900 cents a month, exactly 30 a day: 240 cents leave 210 after the charge, 7 days.
    const low = await payingTenant('basic', 240);
    const fine = await payingTenant('basic', 270);
    const staff = await createUser(low, { level: 1 });
    const day = freshDay();
    await mailbox.settled();
    mailbox.clear();
    await chargeFor(day);
    await chargeFor(day);
    const adminEmail = `admin@${low.slug}.test`;
    await mailbox.settled();
    const mail = await mailbox.waitFor(adminEmail);
    expect(mail.subject).to.equal(`${low.name}: your Steward credit lasts 7 more days`);
    expect(mail.text).to.include('$2.10').and.include('/billing');
    // Run twice on the same day: one e-mail, like the one notice.
    expect(mailbox.to(adminEmail)).to.have.length(1);
    expect(mailbox.to(staff.email)).to.have.length(0);
    expect(mailbox.to(`admin@${fine.slug}.test`)).to.have.length(0);
    const noticesOf = (tenant: typeof low) =>
      withTenant(tenant.toRef(), () => Notification.findAll({ where: { kind: 'billing.low_credit' } }));
    const warned = await noticesOf(low);
    expect(warned).to.have.length(1);
    expect(warned[0].title).to.equal(`The Steward credit of ${low.name} lasts 7 more days`);
    expect(warned[0].url).to.equal('/billing');
    expect((await fresh(low)).status).to.equal('active');
    expect(await noticesOf(fine)).to.have.length(0);
  });
});
