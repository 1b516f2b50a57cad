import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  TimeoutError,
} from 'redis';
import { config } from '../../config/index.ts';
import { ServiceUnavailable } from '../errors.ts';
import { rootLogger } from '../logger.ts';

/** How long a request waits on one Redis command before it answers 503. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** The longest pause between reconnection attempts, so the app serves again soon after Redis returns. */
const MAX_RECONNECT_DELAY_MS = 500;

/**
 * Requests wait on this client (sessions, attempt limits, the cache), so every command is bounded
 * and, while the client is reconnecting, fails at once instead of waiting in an offline queue.
 */
function makeClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: REDIS_COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
      reconnectStrategy: (retries: number) => Math.min((retries + 1) * 100, MAX_RECONNECT_DELAY_MS),
    },
  });
}
export type RedisClient = ReturnType<typeof makeClient>;
type Client = RedisClient;
let client: Client | null = null;

/** The shared Redis client, when REDIS_URL is set; null otherwise. */
export function redisClient(): Client | null {
  return client;
}

/** A client with the bounds above and its errors logged (an 'error' without a listener ends the process). */
export function createRedisClient(url: string): Client {
  const c = makeClient(url);
  c.on('error', (err) => rootLogger.warn({ err: err.message }, 'redis error'));
  return c;
}

export async function connectRedis(url = config.REDIS_URL): Promise<Client | null> {
  if (!url || client) return client;
  const c = createRedisClient(url);
  await c.connect();
  client = c;
  return c;
}

export async function closeRedis(): Promise<void> {
  const c = client;
  client = null;
  if (!c?.isOpen) return;
  // QUIT needs Redis; when it is away the client is dropped instead of reconnecting forever.
  await c.close().catch(() => c.destroy());
}

/** The client's own errors for a Redis it cannot reach (closed, offline, timed out, cut off). */
export function isRedisOutage(err: unknown): boolean {
  return (
    err instanceof ClientOfflineError ||
    err instanceof ClientClosedError ||
    err instanceof TimeoutError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketClosedUnexpectedlyError
  );
}

/**
 * At a Redis call site on a request path: a command that fails because Redis cannot be reached, or
 * that gets no answer within REDIS_COMMAND_TIMEOUT_MS (the client's own timeout stops at the write,
 * so a Redis that hangs would hold the request), becomes a 503. An error reply comes from a Redis
 * that is up (a missing script, a wrong type) and is passed on as it is.
 */
export async function unlessRedisIsAway<T>(command: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${REDIS_COMMAND_TIMEOUT_MS} ms`)),
      REDIS_COMMAND_TIMEOUT_MS,
    );
  });
  // A late failure of a command already answered for is of no interest.
  command.catch(() => {});
  try {
    return await Promise.race([command, bound]);
  } catch (err) {
    throw err instanceof ErrorReply ? err : new ServiceUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}
