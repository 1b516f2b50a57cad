import { levelCan } from '../auth/capabilities.ts';
import type { FieldChanges } from '../models/audit-log.ts';
import type { User } from '../models/user.ts';

/**
 * What of a person's record a viewer may see. The route line has already required `members.view`;
 * these rules hold even if a page is one day opened to more levels.
 */

/** Pastoral notes: levels 0 to 4 only, never a plain member (level 5). */
export function canSeeNotes(viewer: User | null): boolean {
  return viewer !== null && viewer.permissionLevel <= 4;
}

/** Contributions and totals: whoever may view the finances. */
export function canSeeGiving(viewer: User | null): boolean {
  return viewer !== null && levelCan(viewer.permissionLevel, 'finance.view');
}

/** An audit entry's changes as `viewer` may see them (notes left out for those who cannot read notes). */
export function visibleChanges(changes: FieldChanges, viewer: User | null): FieldChanges {
  if (canSeeNotes(viewer)) return changes;
  const { notes: _notes, ...rest } = changes;
  return rest;
}
