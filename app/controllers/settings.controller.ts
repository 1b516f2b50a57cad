import type { Request, Response } from 'express';
import { Setting } from '../models/setting.ts';
import * as audit from '../services/audit.ts';
import { fieldErrors } from '../validators/common.ts';
import {
  SETTING_KEYS,
  type SettingKey,
  settingsFormValues,
  settingsSchema,
  TIME_ZONE_NAMES,
} from '../validators/setting.validator.ts';

// GET /settings/edit
export async function edit(_req: Request, res: Response): Promise<void> {
  res.render('settings/edit', {
    title: 'Settings',
    values: await editable(),
    errors: {},
    timeZones: TIME_ZONE_NAMES,
  });
}

// POST /settings
export async function update(req: Request, res: Response): Promise<void> {
  const before = await editable();
  const parsed = settingsSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const values = { ...before, ...settingsFormValues(req.body) };
    return res.status(422).render('settings/edit', {
      title: 'Settings',
      values,
      errors: fieldErrors(parsed.error),
      timeZones: TIME_ZONE_NAMES,
    });
  }
  const after = Object.fromEntries(SETTING_KEYS.map((k) => [k, parsed.data[k] ?? before[k]]));
  await Setting.bulkCreate(
    SETTING_KEYS.map((key) => ({ key, value: after[key] })),
    { updateOnDuplicate: ['value', 'updatedAt'] },
  );
  if (Object.keys(audit.diff(before, after)).length)
    await audit.record({
      action: 'settings.updated',
      recordType: 'settings',
      recordLabel: 'Settings',
      before,
      after,
    });
  req.flash('success', 'The settings were saved.');
  res.redirect('/settings/edit');
}

/** The editable texts, '' for a key the tenant has never saved. */
async function editable(): Promise<Record<SettingKey, string>> {
  const stored = await Setting.all();
  return Object.fromEntries(SETTING_KEYS.map((k) => [k, stored[k] ?? ''])) as Record<SettingKey, string>;
}
