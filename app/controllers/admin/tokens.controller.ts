import type { Request, Response } from 'express';
import { NotFound, Unauthorized } from '../../errors.ts';
import { log } from '../../logger.ts';
import { currentAdmin } from '../../middleware/auth.ts';
import type { PlatformAdmin } from '../../models/platform-admin.ts';
import { adminTokensOf, createAdminToken, revokeAdminToken } from '../../services/api-tokens.ts';
import { DEFAULT_TIME_ZONE } from '../../services/local-time.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import { tokenCreateSchema, tokenFormValues } from '../../validators/token.validator.ts';
import { tokenChoices, tokenRows } from '../profile/tokens.controller.ts';

/**
 * The signed-in platform admin's own personal access tokens (`stw_adm_...`), for the platform API on
 * the root domain. As on the profile page, a new token is shown on the response that made it only.
 * The platform has no audit table: each change is a log line, as the other admin actions are.
 */

// GET /admin/tokens
export async function index(req: Request, res: Response): Promise<void> {
  await render(res, 200, signedInAdmin(req), { values: tokenFormValues({}), errors: {} });
}

// POST /admin/tokens
export async function create(req: Request, res: Response): Promise<void> {
  const admin = signedInAdmin(req);
  const values = tokenFormValues(req.body);
  const parsed = tokenCreateSchema(DEFAULT_TIME_ZONE).safeParse(req.body ?? {});
  if (!parsed.success) return render(res, 422, admin, { values, errors: fieldErrors(parsed.error) });
  const { token, record } = await createAdminToken(String(admin.id), parsed.data);
  log().info(
    { admin: admin.email, action: 'token.created', tokenId: record.id, scope: record.scope },
    'platform admin: token.created',
  );
  await render(res, 201, admin, {
    values: tokenFormValues({}),
    errors: {},
    made: { token, name: record.name },
  });
}

// POST /admin/tokens/:tokenId/delete: only the admin's own tokens; any other id is a 404.
export async function destroy(req: Request, res: Response): Promise<void> {
  const admin = signedInAdmin(req);
  const tokenId = idParam(req.params.tokenId);
  const revoked = await revokeAdminToken(String(admin.id), tokenId);
  if (!revoked && !(await adminTokensOf(String(admin.id))).some((t) => t.id === tokenId))
    throw new NotFound();
  if (revoked)
    log().info({ admin: admin.email, action: 'token.revoked', tokenId }, 'platform admin: token.revoked');
  req.flash(
    'success',
    revoked ? `The token "${revoked.name}" was revoked.` : 'That token was already revoked.',
  );
  res.redirect('/admin/tokens');
}

function signedInAdmin(req: Request): PlatformAdmin {
  const admin = currentAdmin(req);
  if (!admin) throw new Unauthorized();
  return admin;
}

async function render(
  res: Response,
  status: number,
  admin: PlatformAdmin,
  form: {
    values: Record<string, string>;
    errors: Record<string, string>;
    made?: { token: string; name: string };
  },
): Promise<void> {
  const tokens = await adminTokensOf(String(admin.id));
  if (form.made) res.set('Cache-Control', 'no-store');
  res.status(status).render('admin/tokens/index', {
    title: 'API tokens',
    rows: tokenRows(tokens, DEFAULT_TIME_ZONE),
    choices: tokenChoices,
    ...form,
  });
}
