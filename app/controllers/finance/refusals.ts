import { ValidationError } from '../../errors.ts';
import { EntryLocked } from '../../services/ledger.ts';

/** A save the service refused for its fields comes back to be shown on the form; anything else goes on. */
export function refusal(err: unknown): ValidationError {
  if (err instanceof ValidationError) return err;
  throw err;
}

/** As `refusal`, and an entry that can no longer be changed comes back too (its page says why). */
export function refusalOrLock(err: unknown): ValidationError | EntryLocked {
  if (err instanceof EntryLocked) return err;
  return refusal(err);
}
