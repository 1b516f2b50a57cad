/**
 * The one capability table: which permission levels (0 super admin … 5 member) may do what.
 * Every protected route names the capability it needs on its route line (`can('users.manage')`).
 */
export const CAPABILITIES = {
  'users.manage': [0],
  'roles.manage': [0],
  'settings.edit': [0],
  'audit.view': [0],
  'billing.view': [0],
  'finance.edit': [0, 1],
  'finance.view': [0, 1, 2],
  'finance.stats': [0, 1, 2, 3],
  'members.view': [0, 1, 2, 3, 4],
  'members.edit': [0],
  'projects.manage': [0, 4],
} as const satisfies Record<string, readonly number[]>;

export type Capability = keyof typeof CAPABILITIES;

export function levelCan(level: number, capability: Capability): boolean {
  return (CAPABILITIES[capability] as readonly number[]).includes(level);
}

export function capabilitiesOf(level: number): Capability[] {
  return (Object.keys(CAPABILITIES) as Capability[]).filter((c) => levelCan(level, c));
}
