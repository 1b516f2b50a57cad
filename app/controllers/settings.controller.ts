import type { Request, Response } from 'express';
import { editableSettings, updateSettings } from '../services/settings.ts';
import { fieldErrors } from '../validators/common.ts';
import { settingsFormValues, settingsSchema, TIME_ZONE_NAMES } from '../validators/setting.validator.ts';

// GET /settings/edit
export async function edit(_req: Request, res: Response): Promise<void> {
  res.render('settings/edit', {
    title: 'Settings',
    values: await editableSettings(),
    errors: {},
    timeZones: TIME_ZONE_NAMES,
  });
}

// POST /settings
export async function update(req: Request, res: Response): Promise<void> {
  const before = await editableSettings();
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
  await updateSettings(parsed.data);
  req.flash('success', 'The settings were saved.');
  res.redirect('/settings/edit');
}
