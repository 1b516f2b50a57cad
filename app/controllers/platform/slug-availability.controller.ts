import type { Request, Response } from 'express';
import { Domain } from '../../models/domain.ts';
import { Tenant } from '../../models/tenant.ts';
import { slugProblem } from '../../tenancy/schema-name.ts';
import { defaultDomainFor } from '../../validators/tenant.validator.ts';

export interface SlugAvailability {
  slug: string;
  available: boolean;
  message: string;
}

/**
 * Whether `slug` can be a new tenant's address: well formed, not reserved, and used by no tenant or
 * domain. Only advice while typing: provisioning checks again under a lock.
 */
export async function slugAvailability(slug: string): Promise<SlugAvailability> {
  const problem = slugProblem(slug);
  if (problem) return { slug, available: false, message: `The subdomain ${problem}.` };
  const address = defaultDomainFor(slug);
  const [tenants, domains] = await Promise.all([
    Tenant.count({ where: { slug } }),
    Domain.count({ where: { domain: address } }),
  ]);
  if (tenants + domains > 0) return { slug, available: false, message: `${address} is already taken.` };
  return { slug, available: true, message: `${address} is available.` };
}

// GET /signup/availability?slug=grace
export async function show(req: Request, res: Response): Promise<void> {
  const raw = req.query.slug;
  res.set('Cache-Control', 'no-store');
  if (typeof raw !== 'string' || !raw.trim()) {
    res.status(400).json({ slug: '', available: false, message: 'Enter a subdomain to check.' });
    return;
  }
  res.json(await slugAvailability(raw.trim().toLowerCase().slice(0, 100)));
}
