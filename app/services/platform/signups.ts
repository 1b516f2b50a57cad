import { Conflict, ValidationError } from '../../errors.ts';
import { log } from '../../logger.ts';
import { Plan } from '../../models/plan.ts';
import type { Tenant } from '../../models/tenant.ts';
import type { User } from '../../models/user.ts';
import { formErrors, type Signup } from '../../validators/signup.validator.ts';
import { provisionTenant } from '../provisioning.ts';
import { issueToken } from '../tokens.ts';
import { queueWelcome } from './welcome.ts';

/** Days a self-service sign-up is free before credit is needed. */
export const TRIAL_DAYS = 14;

/** Failed sign-ups a client address may make per rate-limit window, on the page and the API together. */
export const SIGNUP_ATTEMPTS = 5;

export interface SignedUp {
  tenant: Tenant;
  admin: User;
  /** The new tenant's primary domain. */
  domain: string;
  /** The admin's one-minute sign-in token for the new host, when a hand-off was asked for. */
  token: string | null;
}

export interface SignUpOptions {
  /** Issue a hand-off token: a browser's session has to start on the new host, since cookies are per host. */
  handOff?: boolean;
}

/** The plans a sign-up may choose, in the order they are offered. */
export function offeredPlans(): Promise<Plan[]> {
  return Plan.findAll({
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

/**
 * Signs an organisation up: a tenant on a trial of the chosen plan with its first admin and, in the
 * same transaction and tenant, the admin's hand-off token when asked for and the welcome e-mail.
 * Every refusal (a field, a reserved or taken subdomain, an unknown plan) is a ValidationError
 * under the sign-up's own field names.
 */
export async function signUp(form: Signup, opts: SignUpOptions = {}): Promise<SignedUp> {
  if (!(await Plan.count({ where: { code: form.plan } })))
    throw new ValidationError({ plan: 'choose one of the plans shown' });
  let token: string | null = null;
  let created: Awaited<ReturnType<typeof provisionTenant>>;
  try {
    created = await provisionTenant(
      {
        slug: form.slug,
        name: form.name,
        kind: form.kind,
        plan: form.plan,
        adminName: form.adminName,
        adminEmail: form.email,
        adminPassword: form.password,
        trialDays: TRIAL_DAYS,
      },
      {
        extraSteps: async (made) => {
          if (opts.handOff) token = await issueToken(made.admin.id, 'login');
          await queueWelcome(made);
        },
      },
    );
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(formErrors(err.fields), err.message);
    // Two sign-ups for one subdomain at once: the loser hears what a later one would.
    if (err instanceof Conflict) throw new ValidationError({ slug: 'is already taken' }, err.message);
    throw err;
  }
  log().info({ tenant: created.tenant.slug, plan: form.plan }, 'signed up');
  return { ...created, token };
}
