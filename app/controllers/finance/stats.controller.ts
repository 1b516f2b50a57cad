import type { Request, Response } from 'express';
import { financeStats } from '../../services/finance-stats.ts';
import { formatCents } from '../../services/money.ts';
import { periodParam, thisYear } from '../../validators/finance.validator.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// GET /finance/stats?year=YYYY or ?from=YYYY-MM-DD&to=YYYY-MM-DD: totals only, no single entry.
export async function show(req: Request, res: Response): Promise<void> {
  const period = periodParam(req.query as Record<string, unknown>);
  const stats = await financeStats(period);
  const current = thisYear();
  const years = Array.from({ length: 12 }, (_, i) => current + 1 - i);
  if (period.year && !years.includes(period.year)) years.push(period.year);
  res.render('finance/stats/show', {
    title: 'Statistics',
    stats,
    period,
    years: years.sort((a, b) => b - a),
    months: MONTHS,
    monthLabel: (ym: string) => `${MONTHS[Number(ym.slice(5, 7)) - 1]} ${ym.slice(0, 4)}`,
    formatCents,
  });
}
