import type { Request } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { log } from '../logger.ts';
import { PlatformAdmin } from '../models/platform-admin.ts';
import { User } from '../models/user.ts';
import { LAST_SEEN_EVERY_MS, UserSession } from '../models/user-session.ts';
import { revokeAllSignIns } from '../services/api-tokens.ts';
import { verifyPassword } from '../services/passwords.ts';
import { currentTenant } from '../tenancy/context.ts';
import { ID_RE } from '../validators/common.ts';

/**
 * What a session stores of its user. For a tenant user also `v`, the credentials version it was
 * signed in under, and `s`, its user_sessions row (sessions from before these have neither).
 */
type SessionUser = { kind: 'user' | 'admin'; id: string; v?: number; s?: string };

// A hash to verify against when the e-mail is unknown, so both cases take the same time.
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$lt5T4hdDpj//83zJFPE5Aw$FUgXQQTQTO2UZPI7KhmKWVZpDTVvimsC+XZ0oEqKY0c';

/**
 * The active staff account of the current tenant with this e-mail and password, or null: the
 * sign-in page and the API's token endpoint both check credentials here.
 */
export async function verifyStaffCredentials(email: string, password: string): Promise<User | null> {
  if (!currentTenant()) return null;
  const user = await User.scope('withPassword').findOne({ where: { email: User.normalizeEmail(email) } });
  const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
  return user && ok && user.active ? user : null;
}

/** Staff of the current tenant, by e-mail and password; inactive accounts cannot sign in. */
passport.use(
  'tenant-local',
  new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, async (email, password, done) => {
    try {
      const user = await verifyStaffCredentials(email, password);
      return done(null, user ?? false);
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

// A tenant user's sign-in is recorded here, after passport has given the session its new id.
passport.serializeUser(
  async (req: Request, user: Express.User, done: (err: unknown, s?: SessionUser) => void) => {
    try {
      if (user instanceof PlatformAdmin) return done(null, { kind: 'admin', id: String(user.id) });
      const u = user as User;
      const row = await UserSession.start(String(u.id), req.sessionID, req.get('user-agent'));
      done(null, { kind: 'user', id: String(u.id), v: u.credentialsVersion ?? 1, s: row });
    } catch (err) {
      done(err);
    }
  },
);

/**
 * A tenant user is looked up in the current tenant only, a platform admin on the root domain only.
 * A tenant session signed in under older credentials, or whose row was ended, finds nobody.
 */
// `req` is absent when deserializeUser is called directly (tests call it with the stored value only).
passport.deserializeUser(
  async (req: Request, stored: SessionUser, done: (err: unknown, u?: Express.User | false) => void) => {
    try {
      const tenant = currentTenant();
      // A session carries an id this app wrote, but a malformed one must end the session, not fail the page.
      if (!ID_RE.test(String(stored?.id ?? ''))) return done(null, false);
      if (stored.kind === 'user' && tenant) {
        const version = Number.isInteger(stored.v) ? Number(stored.v) : 1;
        const rowId = stored.s !== undefined && ID_RE.test(String(stored.s)) ? String(stored.s) : null;
        if (stored.s !== undefined && !rowId) return done(null, false);
        const found = await User.findActiveForSession(stored.id, { version, rowId });
        if (!found) return done(null, false);
        if (
          rowId &&
          req &&
          (!found.lastSeenAt || Date.now() - found.lastSeenAt.getTime() > LAST_SEEN_EVERY_MS)
        )
          void UserSession.seen(rowId).catch((err) => log().warn({ err }, 'session last-seen not recorded'));
        return done(null, found.user);
      }
      if (stored.kind === 'admin' && !tenant) {
        const admin = await PlatformAdmin.findOne({ where: { id: stored.id, active: true } });
        return done(null, admin ?? false);
      }
      return done(null, false);
    } catch (err) {
      return done(err);
    }
  },
);

/** The user_sessions row of this request's session, if it has one. */
export function currentSessionRow(req: Request): string | undefined {
  const stored = (req.session as { passport?: { user?: SessionUser } } | undefined)?.passport?.user;
  return stored?.kind === 'user' ? stored.s : undefined;
}

/** Marks this request's session row ended (a sign-out); the caller destroys the session itself. */
export async function endThisSession(req: Request): Promise<void> {
  const row = currentSessionRow(req);
  if (row && currentTenant()) await UserSession.end(row);
}

/**
 * Ends every session of `user` but this request's: after a password change or reset, and for
 * "sign out everywhere else". Other sessions carry the old credentials version, so they find
 * nobody on their next request in either store (their store entry stays, signed out, until it
 * expires: the store is keyed by the raw session id, which is never kept). When this request is
 * signed in as `user`, it stays signed in with a new session id.
 */
export async function endOtherSessions(req: Request, user: User): Promise<void> {
  const signedInHere = req.user instanceof User && String(req.user.id) === String(user.id);
  await user.newCredentialsVersion();
  await UserSession.endAllOf(String(user.id));
  // The API's sign-ins end here too (personal access tokens stay: they are revoked one by one).
  await revokeAllSignIns(String(user.id));
  if (!signedInHere) return;
  await new Promise<void>((resolve, reject) =>
    req.login(user, { session: true, keepSessionInfo: true }, (err) => (err ? reject(err) : resolve())),
  );
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export { passport };
