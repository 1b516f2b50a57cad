import { createClient } from 'redis';
import { config } from '../../config/index.ts';
import { rootLogger } from '../logger.ts';

function makeClient(url: string) {
  return createClient({ url, socket: { reconnectStrategy: (n: number) => Math.min(n * 200, 5000) } });
}
type Client = ReturnType<typeof makeClient>;
let client: Client | null = null;

/** The shared Redis client, when REDIS_URL is set; null otherwise. */
export function redisClient(): Client | null {
  return client;
}

export async function connectRedis(url = config.REDIS_URL): Promise<Client | null> {
  if (!url || client) return client;
  const c = makeClient(url);
  c.on('error', (err) => rootLogger.warn({ err: err.message }, 'redis error'));
  await c.connect();
  client = c;
  return c;
}

export async function closeRedis(): Promise<void> {
  const c = client;
  client = null;
  if (c?.isOpen) await c.quit();
}
