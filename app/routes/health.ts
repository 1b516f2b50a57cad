import { Router } from 'express';
import * as health from '../controllers/health.controller.ts';

/** Answered on any host, before tenant resolution, for load balancers and probes. */
export function healthRoutes(): Router {
  const r = Router();
  r.get('/health', health.show);
  r.get('/health/ready', health.ready);
  return r;
}
