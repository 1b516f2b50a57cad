import type { Request, Response } from 'express';
import { TENANT_KINDS, TENANT_STATUSES, Tenant } from '../../models/tenant.ts';

// GET /admin
export async function show(_req: Request, res: Response): Promise<void> {
  res.render('admin/dashboard/show', {
    figures: await Tenant.figures(),
    statuses: TENANT_STATUSES,
    kinds: TENANT_KINDS,
  });
}
