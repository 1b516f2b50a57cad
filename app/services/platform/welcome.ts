import type { Tenant } from '../../models/tenant.ts';
import type { User } from '../../models/user.ts';
import { withTenant } from '../../tenancy/context.ts';
import { sendMail } from '../mailer.ts';
import { hostUrl } from '../urls.ts';

const longDate = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

/**
 * Queues the welcome e-mail to a new tenant's first admin, as the new tenant (the mail job runs in
 * it). Every way of making a tenant (sign-up, the admin area, the API, the CLI) calls it from
 * provisioning's `extraSteps`, inside the creation's transaction: a creation that fails sends
 * nothing, and one that commits always has its welcome queued.
 */
export function queueWelcome({ tenant, admin, domain }: { tenant: Tenant; admin: User; domain: string }) {
  return withTenant(tenant.toRef(), () =>
    sendMail({
      to: admin.email,
      subject: `Welcome to Steward: ${tenant.name} is ready`,
      template: 'welcome',
      locals: {
        name: admin.name,
        email: admin.email,
        url: hostUrl(domain),
        trialEndsOn: tenant.trialEndsAt ? longDate.format(tenant.trialEndsAt) : null,
      },
    }),
  );
}
