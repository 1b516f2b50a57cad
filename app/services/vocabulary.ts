import type { TenantKind } from '../models/tenant.ts';

/** The words pages use, by kind of tenant: a church has members and groups, a company people and teams. */
export interface Vocabulary {
  members: string;
  member: string;
  groups: string;
  group: string;
  giving: string;
  contribution: string;
  contributions: string;
  expenses: string;
  events: string;
}

const WORDS: Record<TenantKind, Vocabulary> = {
  church: {
    members: 'Members',
    member: 'Member',
    groups: 'Groups',
    group: 'Group',
    giving: 'Giving',
    contribution: 'Contribution',
    contributions: 'Contributions',
    expenses: 'Expenses',
    events: 'Attendance',
  },
  company: {
    members: 'People',
    member: 'Person',
    groups: 'Teams',
    group: 'Team',
    giving: 'Income',
    contribution: 'Income entry',
    contributions: 'Income',
    expenses: 'Expenses',
    events: 'Meetings',
  },
};

export function vocabularyFor(kind: TenantKind | undefined | null): Vocabulary {
  return WORDS[kind ?? 'church'];
}
