import { z } from 'zod';
import { emailField, passwordField } from './tenant.validator.ts';

export const signInSchema = z.object({
  email: emailField,
  password: z.string().min(1, 'is required').max(500, 'is too long'),
});

export const forgotPasswordSchema = z.object({ email: emailField });

export const newPasswordSchema = z
  .object({ password: passwordField, confirm: z.string().max(500) })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'does not match the password' });
