import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { PlatformAdmin } from '../models/platform-admin.ts';
import { User } from '../models/user.ts';
import { verifyPassword } from '../services/passwords.ts';
import { currentTenant } from '../tenancy/context.ts';
import { ID_RE } from '../validators/user.validator.ts';

type SessionUser = { kind: 'user' | 'admin'; id: string };

// A hash to verify against when the e-mail is unknown, so both cases take the same time.
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$lt5T4hdDpj//83zJFPE5Aw$FUgXQQTQTO2UZPI7KhmKWVZpDTVvimsC+XZ0oEqKY0c';

/** Staff of the current tenant, by e-mail and password; inactive accounts cannot sign in. */
passport.use(
  'tenant-local',
  new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, async (email, password, done) => {
    try {
      if (!currentTenant()) return done(null, false);
      const user = await User.scope('withPassword').findOne({ where: { email: User.normalizeEmail(email) } });
      const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
      if (!user || !ok || !user.active) return done(null, false);
      return done(null, user);
    } catch (err) {
      return done(err);
    }
  }),
);

/** Platform admins, on the root domain only. */
passport.use(
  'admin-local',
  new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, async (email, password, done) => {
    try {
      if (currentTenant()) return done(null, false);
      const admin = await PlatformAdmin.findOne({ where: { email: email.trim().toLowerCase() } });
      const ok = await verifyPassword(admin?.passwordHash ?? DUMMY_HASH, password);
      if (!admin || !ok || !admin.active) return done(null, false);
      return done(null, admin);
    } catch (err) {
      return done(err);
    }
  }),
);

passport.serializeUser((user, done) => {
  const kind = user instanceof PlatformAdmin ? 'admin' : 'user';
  done(null, { kind, id: String((user as User | PlatformAdmin).id) } satisfies SessionUser);
});

/** A tenant user is looked up in the current tenant only, a platform admin on the root domain only. */
passport.deserializeUser(async (stored: SessionUser, done) => {
  try {
    const tenant = currentTenant();
    // A session carries an id this app wrote, but a malformed one must end the session, not fail the page.
    if (!ID_RE.test(String(stored?.id ?? ''))) return done(null, false);
    if (stored.kind === 'user' && tenant) {
      const user = await User.findActiveForSession(stored.id);
      return done(null, user ?? false);
    }
    if (stored.kind === 'admin' && !tenant) {
      const admin = await PlatformAdmin.findOne({ where: { id: stored.id, active: true } });
      return done(null, admin ?? false);
    }
    return done(null, false);
  } catch (err) {
    return done(err);
  }
});

export { passport };
