import type { Logger } from 'pino';
import { type Listener, listen } from '../db/listener.ts';
import { applyChange, CHANGES_CHANNEL, decodeChange } from './changes.ts';

/**
 * This process's ear for changes announced by other processes (`changes.ts`): one connection of
 * its own, outside the pool, that LISTENs on the changes channel. When it loses the connection it
 * reconnects with a growing delay; whatever it may have missed meanwhile is covered by emptying the
 * caches once it listens again (until then the caches' TTL bounds how stale they can get).
 *
 * Needs a direct or session-mode connection: LISTEN does not work through a transaction-mode pooler.
 */
export type ChangeFeed = Listener;

export const FEED_APPLICATION_NAME = 'steward-changes';

export function startChangeFeed(url: string, log: Logger): Promise<ChangeFeed> {
  return listen({
    url,
    channel: CHANGES_CHANNEL,
    applicationName: FEED_APPLICATION_NAME,
    log,
    what: 'change feed',
    onPayload(payload) {
      const change = decodeChange(payload);
      if (change) applyChange(change);
    },
    // Changes committed while nobody here was listening are unknown: forget everything once.
    onListening: () => applyChange(null),
  });
}
