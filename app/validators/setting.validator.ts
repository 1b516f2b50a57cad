import { z } from 'zod';
import { lineField, textField } from './common.ts';

/** The time zones this runtime knows, for the tenant's dates and times (e.g. "Africa/Nairobi"). */
export const TIME_ZONE_NAMES: readonly string[] = [
  'UTC',
  ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC'),
];
const TIME_ZONES = new Set(TIME_ZONE_NAMES);

/**
 * The tenant's editable texts (keys of the `settings` table); they feed the tenant's public page.
 * Long texts stop at 2,000 characters, which is plenty for a page section.
 */
export const settingsSchema = z
  .object({
    welcome_text: textField(2000),
    about: textField(2000),
    service_times: textField(2000),
    address: textField(500),
    phone: lineField(40).refine((v) => v === '' || (/^\+?[0-9 ()./-]+$/.test(v) && /[0-9]/.test(v)), {
      message: 'must be a phone number (digits, spaces and + ( ) . / -)',
    }),
    contact_email: z
      .string({ error: 'must be text' })
      .trim()
      .toLowerCase()
      .max(254, 'is too long')
      .refine((v) => v === '' || z.email().safeParse(v).success, 'must be an e-mail address'),
    time_zone: z
      .string({ error: 'must be text' })
      .trim()
      .max(64, 'is too long')
      .refine((v) => v === '' || TIME_ZONES.has(v), 'must be one of the listed time zones'),
    // Origins whose pages may call the JSON API (CORS), one per line; empty keeps it closed.
    api_cors_origins: textField(2000).superRefine((v, ctx) => {
      const bad = v
        .split(/[\s,]+/)
        .filter(Boolean)
        .find((o) => !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?\/?$/i.test(o));
      if (bad)
        ctx.addIssue({
          code: 'custom',
          message: `"${bad.slice(0, 60)}" is not an origin like https://app.example.org`,
        });
    }),
  })
  // A key the form did not send keeps its stored value.
  .partial();

export type Settings = z.output<typeof settingsSchema>;
export type SettingKey = keyof Settings;
export const SETTING_KEYS = Object.keys(settingsSchema.shape) as SettingKey[];

/** What the user typed, to put back into the form when it is shown again. */
export function settingsFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    SETTING_KEYS.filter((k) => typeof b[k] === 'string').map((k) => [k, b[k] as string]),
  );
}
