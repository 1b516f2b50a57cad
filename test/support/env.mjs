// Preloaded by mocha (node --import) before any module reads its configuration. Tests run in a
// throwaway database on TEST_DATABASE_URL or DATABASE_URL, or on an embedded PostgreSQL when
// neither is set; setup.ts creates and drops it.
import { randomBytes } from 'node:crypto';

const EMBEDDED_TEST_PORT = '54330';
const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
const adminUrl = serverUrl || `postgres://postgres:steward-local@127.0.0.1:${EMBEDDED_TEST_PORT}/postgres`;
const dbName = `steward_test_${process.pid}_${randomBytes(3).toString('hex')}`;
const smtpPort = String(30000 + (process.pid % 20000));
const testUrl = new URL(adminUrl);
testUrl.pathname = `/${dbName}`;

Object.assign(process.env, {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'silent',
  DB_POOL_MAX: '5',
  BASE_DOMAIN: 'localhost',
  PORT: '3000',
  TENANT_CACHE_TTL_MS: '60000',
  STEWARD_TEST_ADMIN_URL: adminUrl,
  STEWARD_TEST_DB: dbName,
  STEWARD_TEST_EMBEDDED_PORT: serverUrl ? '' : EMBEDDED_TEST_PORT,
  DATABASE_URL: testUrl.toString(),
  // E-mails go to a real SMTP server the tests start (test/support/mailbox.ts).
  SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  STEWARD_TEST_SMTP_PORT: smtpPort,
  // The tests' own process runs the queue's workers; a job queued there wakes them at once.
  QUEUE_POLL_SECONDS: '0.5',
  QUEUE_CONCURRENCY: '4',
  DATA_DIR: '.data/test',
  REDIS_PREFIX: `steward-test-${process.pid}:`,
});
delete process.env.TEST_DATABASE_URL;
