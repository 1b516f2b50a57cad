import { createHash, randomBytes } from 'node:crypto';
import { Op } from 'sequelize';
import { AuthToken, type TokenPurpose } from '../models/auth-token.ts';

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  reset: 60 * 60_000,
  invite: 7 * 24 * 60 * 60_000,
  login: 60_000,
};

function hash(raw: string): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** Issues a token for the user in the current tenant; only its hash is stored. Earlier unused tokens of the same purpose stop working. */
export async function issueToken(
  userId: string,
  purpose: TokenPurpose,
  ttlMs = TOKEN_TTL_MS[purpose],
): Promise<string> {
  const raw = randomBytes(32).toString('base64url');
  await AuthToken.update({ usedAt: new Date() }, { where: { userId, purpose, usedAt: null } });
  await AuthToken.create({ userId, purpose, tokenHash: hash(raw), expiresAt: new Date(Date.now() + ttlMs) });
  return raw;
}

/** The user id a valid, unused, unexpired token stands for, without using it up. */
export async function peekToken(raw: string, purpose: TokenPurpose): Promise<string | null> {
  if (!raw || raw.length > 100) return null;
  const token = await AuthToken.findOne({
    where: { tokenHash: hash(raw), purpose, usedAt: null, expiresAt: { [Op.gt]: new Date() } },
  });
  return token?.userId ?? null;
}

/** Uses a token up, atomically: returns its user id once, then null forever. */
export async function consumeToken(raw: string, purpose: TokenPurpose): Promise<string | null> {
  if (!raw || raw.length > 100) return null;
  const [count, rows] = await AuthToken.update(
    { usedAt: new Date() },
    {
      where: { tokenHash: hash(raw), purpose, usedAt: null, expiresAt: { [Op.gt]: new Date() } },
      returning: true,
    },
  );
  return count === 1 ? (rows[0]?.userId ?? null) : null;
}
