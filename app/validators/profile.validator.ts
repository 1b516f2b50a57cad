import { z } from 'zod';
import { emailField, passwordField } from './tenant.validator.ts';
import { userNameField } from './user.validator.ts';

export const profileSchema = z.object({ name: userNameField, email: emailField });

export type ProfileInput = z.output<typeof profileSchema>;

export const passwordChangeSchema = z
  .object({
    currentPassword: z.string({ error: 'is required' }).min(1, 'is required').max(500, 'is too long'),
    password: passwordField,
    confirm: z.string({ error: 'is required' }).max(500, 'is too long'),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'does not match the new password' });

/** The profile form's "E-mail me task reminders" box: an unticked box is not sent at all. */
export const reminderSettingSchema = z.object({
  taskReminders: z.preprocess((v) => v === 'on' || v === '1' || v === 'true' || v === true, z.boolean()),
});
