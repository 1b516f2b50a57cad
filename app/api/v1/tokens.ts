/**
 * Signing in to the API: e-mail and password for an access token (15 minutes) and a refresh token
 * (used once, rotated on every use), refresh, revocation, and signing out everywhere.
 */
import { z } from 'zod';
import { verifyStaffCredentials } from '../../auth/passport.ts';
import { loginAttempts } from '../../controllers/sessions.controller.ts';
import { Unauthorized } from '../../errors.ts';
import { UserSession } from '../../models/user-session.ts';
import {
  ACCESS_TOKEN_SECONDS,
  issueTokens,
  revokeAllSignIns,
  revokeToken,
  rotateRefreshToken,
  TokenRefused,
} from '../../services/api-tokens.ts';
import { requireTenant } from '../../tenancy/context.ts';
import { signInSchema } from '../../validators/session.validator.ts';
import { apiRoutes } from '../kit.ts';

const tokenPair = z
  .object({
    accessToken: z.string().meta({ description: 'A JWT; send it as `Authorization: Bearer <accessToken>`.' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z
      .number()
      .int()
      .meta({ description: 'Seconds the access token is valid.', example: ACCESS_TOKEN_SECONDS }),
    refreshToken: z.string().meta({
      description:
        'Use once with POST /api/v1/token/refresh for a new pair. A used one presented again ends the sign-in.',
      example: 'stw_rt_8N0v…',
    }),
    refreshExpiresAt: z.iso
      .datetime()
      .meta({ description: 'When the sign-in ends however often it is refreshed.' }),
  })
  .meta({ id: 'TokenPair' });

const refreshBody = z.object({ refreshToken: z.string().min(1, 'is required').max(200) });
const revokeBody = z.object({
  token: z
    .string()
    .min(1, 'is required')
    .max(4096)
    .meta({ description: 'A refresh token, an access token or a personal access token of yours.' }),
});

function host(req: { host: string }): string {
  return req.host.toLowerCase();
}

export default apiRoutes(
  { tag: 'Tokens', host: 'tenant', description: 'Getting, refreshing and revoking bearer tokens.' },
  (r) => {
    r.post(
      '/token',
      {
        summary: 'Sign in: get an access token and a refresh token',
        description:
          'E-mail and password of an active staff account of this organisation. Failed attempts count against the same limit as the sign-in page.',
        auth: 'none',
        body: signInSchema,
        // Looked up per request: the limiter is the page's, built once Redis is connected.
        before: [(req, res, next) => loginAttempts()(req, res, next)],
        responses: { 200: tokenPair },
        errors: [401],
      },
      async (ctx) => {
        const user = await verifyStaffCredentials(ctx.body.email, ctx.body.password);
        if (!user) throw new Unauthorized('That e-mail and password do not match an active account.');
        void user.update({ lastLoginAt: new Date() }).catch(() => {});
        const withRoles = await user.reload({ include: [{ association: 'roles' }] });
        return { body: await issueTokens(withRoles, host(ctx.req), ctx.req.get('user-agent')) };
      },
    );

    r.post(
      '/token/refresh',
      {
        summary: 'Exchange a refresh token for a new pair',
        description:
          'Each refresh token works once. Presenting one that was already used revokes the whole sign-in (every token of its family), since only a copy would be presented twice.',
        auth: 'none',
        body: refreshBody,
        responses: { 200: tokenPair },
        errors: [401],
      },
      async (ctx) => {
        try {
          return { body: await rotateRefreshToken(ctx.body.refreshToken, host(ctx.req)) };
        } catch (err) {
          if (err instanceof TokenRefused)
            throw new Unauthorized('The refresh token is not valid. Sign in again.');
          throw err;
        }
      },
    );

    r.post(
      '/token/revoke',
      {
        summary: 'Revoke a token',
        description:
          "A refresh or access token ends its sign-in; a personal access token ends itself. Only the caller's own tokens; an unknown token is not an error (RFC 7009).",
        body: revokeBody,
        responses: { 204: null },
      },
      async (ctx) => {
        await revokeToken(ctx.body.token, ctx.user, requireTenant(), host(ctx.req));
        return { status: 204 };
      },
    );

    r.post(
      '/token/revoke-all',
      {
        summary: 'Sign out everywhere',
        description:
          "Ends every API sign-in and every page session of the caller's account (as a password change does). Personal access tokens stay until revoked one by one.",
        responses: { 204: null },
      },
      async (ctx) => {
        await ctx.user.newCredentialsVersion();
        await UserSession.endAllOf(String(ctx.user.id));
        await revokeAllSignIns(String(ctx.user.id));
        return { status: 204 };
      },
    );
  },
);
