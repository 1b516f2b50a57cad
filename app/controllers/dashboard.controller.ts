import type { Request, Response } from 'express';
import type { MemberStatus } from '../models/member.ts';
import { dashboardFor } from '../services/dashboard.ts';
import { formatCents } from '../services/money.ts';
import { dashboardFor as workDashboardFor } from '../services/work-dashboard.ts';
import { signedInUser } from './signed-in.ts';

/** The blocks of the dashboard in reading order: the kind of tenant only changes the order and words. */
const SECTIONS = {
  church: ['people', 'attendance', 'giving', 'events', 'work'],
  company: ['work', 'people', 'giving', 'attendance', 'events'],
} as const;

const STATUS_LABELS: [MemberStatus, string][] = [
  ['member', 'Member'],
  ['regular', 'Regular'],
  ['visitor', 'Visitor'],
  ['inactive', 'Inactive'],
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-11-03" → "3 Nov". */
function dayLabel(date: string): string {
  return `${Number(date.slice(8, 10))} ${MONTHS[Number(date.slice(5, 7)) - 1]}`;
}

// GET /  (tenant host, signed in): the figures the user's level allows, each linking to its list.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const [dashboard, work] = await Promise.all([dashboardFor(user), workDashboardFor(user)]);
  res.render('dashboard/show', {
    dashboard,
    work,
    sections: SECTIONS[req.tenant?.kind ?? 'church'],
    statusLabels: STATUS_LABELS,
    dayLabel,
    formatCents,
  });
}
