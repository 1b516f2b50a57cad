import { type Logger, pino } from 'pino';
import { config } from '../config/index.ts';
import { currentContext } from './tenancy/context.ts';

export const rootLogger: Logger = pino({
  level: config.LOG_LEVEL,
  base: { app: 'steward' },
  redact: ['req.headers.cookie', 'req.headers.authorization', '*.password', '*.passwordHash'],
});

/** The logger of the current request or job: its lines carry `tenant` and `reqId`. */
export function log(): Logger {
  return currentContext()?.log ?? rootLogger;
}
