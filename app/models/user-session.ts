import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { config } from '../../config/index.ts';
import { User } from './user.ts';

/** A session is seen again (last_seen_at written) at most this often, not on every request. */
export const LAST_SEEN_EVERY_MS = 5 * 60_000;

/** The digest a session id is kept as: the table never holds a value that would open a session. */
export function sidDigest(sid: string): string {
  return createHash('sha256').update(sid).digest('hex');
}

export interface ActiveSession {
  id: string;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

function db(): Sequelize {
  const sequelize = User.sequelize;
  if (!sequelize) throw new Error('User is not initialised (initModels)');
  return sequelize;
}

/**
 * The signed-in sessions of staff accounts (tenant table `user_sessions`). Written at sign-in,
 * checked with the user on every signed-in request (User.findActiveForSession), ended by a
 * password change or reset and by "sign out everywhere else".
 */
export const UserSession = {
  /** Records a new sign-in of `userId` under session id `sid`; returns the row's id. */
  async start(userId: string, sid: string, userAgent: string | undefined): Promise<string> {
    const [row] = await db().query<{ id: string }>(
      `INSERT INTO user_sessions (user_id, sid_digest, user_agent, created_at, last_seen_at)
       VALUES ($1, $2, $3, now(), now())
       ON CONFLICT (sid_digest) DO UPDATE SET user_id = EXCLUDED.user_id, ended_at = NULL, last_seen_at = now()
       RETURNING id::text AS id`,
      { bind: [userId, sidDigest(sid), userAgent?.slice(0, 400) ?? null], type: QueryTypes.SELECT },
    );
    return row.id;
  },

  /** Marks the session seen now (callers do this at most every LAST_SEEN_EVERY_MS). */
  async seen(id: string): Promise<void> {
    await db().query('UPDATE user_sessions SET last_seen_at = now() WHERE id = $1 AND ended_at IS NULL', {
      bind: [id],
    });
  },

  /** Ends one session row (a sign-out). */
  async end(id: string): Promise<void> {
    await db().query('UPDATE user_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL', {
      bind: [id],
    });
  },

  /** Ends every open session of the user. */
  async endAllOf(userId: string): Promise<void> {
    await db().query('UPDATE user_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', {
      bind: [userId],
    });
  },

  /** The user's own open sessions, most recently seen first; `currentId` is marked. */
  async activeOf(userId: string, currentId: string | undefined): Promise<ActiveSession[]> {
    const rows = await db().query<Omit<ActiveSession, 'current'>>(
      `SELECT id::text AS id, user_agent AS "userAgent", created_at AS "createdAt", last_seen_at AS "lastSeenAt"
         FROM user_sessions
        WHERE user_id = $1 AND ended_at IS NULL
          AND created_at > now() - make_interval(hours => $2)
        ORDER BY last_seen_at DESC, id DESC
        LIMIT 50`,
      // A session ends at a fixed time after sign-in (the cookie is not rolling).
      { bind: [userId, config.SESSION_MAX_AGE_HOURS], type: QueryTypes.SELECT },
    );
    return rows.map((r) => ({ ...r, current: r.id === currentId }));
  },
};

const BROWSERS: [RegExp, string][] = [
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/SamsungBrowser\//, 'Samsung Internet'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|CriOS\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPod/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Windows/, 'Windows'],
  [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'Mac'],
  [/Linux/, 'Linux'],
];

/** A User-Agent in plain words: "Chrome on Android", "Firefox on Windows", or "Unknown device". */
export function describeDevice(userAgent: string | null | undefined): string {
  const ua = userAgent ?? '';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}
