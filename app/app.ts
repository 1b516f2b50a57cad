import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response, Router } from 'express';
import helmet from 'helmet';
import { config } from '../config/index.ts';
import { apiGateway } from './api/index.ts';
import { passport } from './auth/passport.ts';
import { RECEIPT_BODY_MAX_BYTES } from './controllers/finance/receipt-upload.ts';
import { IMPORT_BODY_MAX_BYTES } from './controllers/members/import.controller.ts';
import { exposeUser } from './middleware/auth.ts';
import { bodyLimit, FORM_BODY_MAX_BYTES, unlessRefused } from './middleware/body-limit.ts';
import { csrf } from './middleware/csrf.ts';
import { errorHandler, notFound } from './middleware/error-handler.ts';
import { flash } from './middleware/flash.ts';
import { requestContext } from './middleware/request-context.ts';
import { bindSessionToHost, sessionMiddleware } from './middleware/session.ts';
import { adminRoutes } from './routes/admin.ts';
import { healthRoutes } from './routes/health.ts';
import { tenantRouter } from './routes/index.ts';
import { platformRoutes } from './routes/platform.ts';
import { ATTACHMENT_BODY_MAX_BYTES } from './services/attachments.ts';
import { installWorkCacheInvalidation } from './services/work-dashboard.ts';
import { resolveTenant } from './tenancy/resolver.ts';

/**
 * The page's own host over ws:/wss: for the notifications socket; browsers that predate CSP 3 do
 * not count WebSockets under 'self'. A Host that is not a plain host name adds nothing.
 */
function sameHostSockets(req: IncomingMessage): string {
  const host = (req as Request).host ?? '';
  const scheme = config.PUBLIC_SCHEME === 'https' ? 'wss' : 'ws';
  return /^[a-z0-9.-]+(:\d{1,5})?$/i.test(host) ? `${scheme}://${host}` : "'self'";
}

/**
 * Assembles the web application: request context, static files, host → tenant, session bound to
 * its host, passport, CSRF, then the tenant or platform route table, and one error handler.
 */
export function createApp(): Express {
  const app = express();
  installWorkCacheInvalidation();
  app.disable('x-powered-by');
  app.set('view engine', 'ejs');
  app.set('views', path.join(config.root, 'views'));
  app.set('trust proxy', config.TRUST_PROXY);
  app.locals.appName = 'Steward';
  app.locals.baseDomain = config.BASE_DOMAIN;

  app.use(requestContext);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'", sameHostSockets],
          formAction: ["'self'"],
          upgradeInsecureRequests: config.PUBLIC_SCHEME === 'https' ? [] : null,
        },
      },
      strictTransportSecurity: config.PUBLIC_SCHEME === 'https',
    }),
  );
  app.use('/assets', express.static(path.join(config.root, 'public'), { maxAge: '1h' }));
  app.use(
    '/vendor/bootstrap',
    express.static(path.join(config.root, 'node_modules/bootstrap/dist'), { maxAge: '7d' }),
  );
  app.use(
    '/vendor/chart.js',
    express.static(path.join(config.root, 'node_modules/chart.js/dist'), { maxAge: '7d' }),
  );
  app.use(
    '/vendor/socket.io',
    express.static(path.join(config.root, 'node_modules/socket.io/client-dist'), { maxAge: '7d' }),
  );
  app.use(healthRoutes());
  app.use(resolveTenant);

  // Before anything reads a body: an oversized one is refused on its Content-Length, unread.
  app.use(bodyLimit(Math.max(RECEIPT_BODY_MAX_BYTES, ATTACHMENT_BODY_MAX_BYTES, IMPORT_BODY_MAX_BYTES)));
  app.use(unlessRefused(express.urlencoded({ extended: false, limit: FORM_BODY_MAX_BYTES })));
  app.use(unlessRefused(express.json({ limit: FORM_BODY_MAX_BYTES })));
  // The JSON API, before the session: it is authenticated by bearer tokens only, never by cookies.
  app.use('/api', apiGateway());
  app.use(sessionMiddleware());
  app.use(bindSessionToHost);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(flash);
  app.use(csrf);
  app.use(exposeUser);

  const tenant = tenantRouter();
  const platform = Router();
  platform.use('/admin', adminRoutes());
  platform.use(platformRoutes());
  app.use((req: Request, res: Response, next: NextFunction) =>
    (req.tenant ? tenant : platform)(req, res, next),
  );

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
