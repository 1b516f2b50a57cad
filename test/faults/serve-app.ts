/**
 * The web app as its own process for the fault tests (started by servers.ts#startApp): connects to
 * DATABASE_URL (and REDIS_URL when set), migrates, provisions one tenant, listens on a free port and
 * prints `listening {"port","host","email"}`. An error nobody handles ends it, as it would in production.
 */
import { createApp } from '../../app/app.ts';
import { connectDatabase } from '../../app/db/database.ts';
import { migratePublic } from '../../app/db/migrator.ts';
import { connectRedis } from '../../app/db/redis.ts';
import { config } from '../../config/index.ts';
import { adminEmail, createTenant, hostOf } from '../support/factories.ts';

connectDatabase({ url: config.DATABASE_URL ?? '', poolMax: config.DB_POOL_MAX });
await migratePublic();
await connectRedis();
const tenant = await createTenant();
const server = createApp().listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  const ready = { port, host: hostOf(tenant), email: adminEmail(tenant) };
  process.stdout.write(`listening ${JSON.stringify(ready)}\n`);
});
