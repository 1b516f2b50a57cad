/** The tenant's editable settings: read and saved here by the settings page and the API. */
import { Setting } from '../models/setting.ts';
import { SETTING_KEYS, type SettingKey, type Settings } from '../validators/setting.validator.ts';
import * as audit from './audit.ts';

/** The editable texts, '' for a key the tenant has never saved. */
export async function editableSettings(): Promise<Record<SettingKey, string>> {
  const stored = await Setting.all();
  return Object.fromEntries(SETTING_KEYS.map((k) => [k, stored[k] ?? ''])) as Record<SettingKey, string>;
}

/** Saves the given keys (the others keep their value), with one audit entry when anything changed. */
export async function updateSettings(input: Settings): Promise<Record<SettingKey, string>> {
  const before = await editableSettings();
  const after = Object.fromEntries(SETTING_KEYS.map((k) => [k, input[k] ?? before[k]])) as Record<
    SettingKey,
    string
  >;
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
  return after;
}
