import type { Request, Response } from 'express';
import { db } from '../db/database.ts';
import { redisClient } from '../db/redis.ts';

// GET /health
export function show(_req: Request, res: Response): void {
  res.json({ status: 'ok' });
}

async function check(fn: () => Promise<unknown>): Promise<'ok' | string> {
  try {
    await Promise.race([fn(), new Promise((_, rej) => setTimeout(() => rej(new Error('timed out')), 2000))]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

// GET /health/ready
export async function ready(_req: Request, res: Response): Promise<void> {
  const checks: Record<string, string> = { database: await check(() => db().query('SELECT 1')) };
  const redis = redisClient();
  if (redis) checks.redis = await check(() => redis.ping());
  const ok = Object.values(checks).every((v) => v === 'ok');
  res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks });
}
