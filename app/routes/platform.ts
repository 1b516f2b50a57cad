import { Router } from 'express';
import * as platformHome from '../controllers/platform/home.controller.ts';
import * as signups from '../controllers/platform/signups.controller.ts';
import * as slugAvailability from '../controllers/platform/slug-availability.controller.ts';
import { attemptLimit, sharedAttemptLimit } from '../middleware/rate-limit.ts';
import { SIGNUP_ATTEMPTS } from '../services/platform/signups.ts';

/** The root domain's public pages: landing and sign-up. */
export function platformRoutes(): Router {
  const r = Router();
  r.get('/', platformHome.show);
  r.get('/signup', signups.newSignup);
  r.post('/signup', sharedAttemptLimit('signup', SIGNUP_ATTEMPTS), signups.create);
  // Checked as the subdomain is typed; only failed (400) checks count, so the limit is generous.
  r.get('/signup/availability', attemptLimit('slug-check', 100), slugAvailability.show);
  return r;
}
