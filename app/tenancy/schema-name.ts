/**
 * Tenant slugs and schema names. Every schema name that reaches SQL passes `assertSchemaName`
 * and is quoted with `quoteIdent`.
 */
import { config } from '../../config/index.ts';

const SLUG_RE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const SCHEMA_RE = /^t_[a-z][a-z0-9_]{1,40}$/;

/** Subdomains that belong to the platform or would be confusing as a tenant address. */
const RESERVED_SLUGS = new Set([
  'admin',
  'api',
  'app',
  'assets',
  'auth',
  'billing',
  'blog',
  'cdn',
  'dashboard',
  'default',
  'docs',
  'extensions',
  'ftp',
  'help',
  'imap',
  'localhost',
  'information-schema',
  'login',
  'mail',
  'media',
  'ns1',
  'ns2',
  'pop',
  'postgres',
  'public',
  'root',
  'signup',
  'smtp',
  'static',
  'status',
  'support',
  'system',
  'template',
  'test',
  'www',
]);

/** PostgreSQL reserved key words: refused as schema names even though we always quote. */
const RESERVED_WORDS = new Set([
  'all',
  'analyse',
  'analyze',
  'and',
  'any',
  'array',
  'as',
  'asc',
  'asymmetric',
  'both',
  'case',
  'cast',
  'check',
  'collate',
  'column',
  'constraint',
  'create',
  'current_catalog',
  'current_date',
  'current_role',
  'current_time',
  'current_timestamp',
  'current_user',
  'default',
  'deferrable',
  'desc',
  'distinct',
  'do',
  'else',
  'end',
  'except',
  'false',
  'fetch',
  'for',
  'foreign',
  'from',
  'grant',
  'group',
  'having',
  'in',
  'initially',
  'intersect',
  'into',
  'lateral',
  'leading',
  'limit',
  'localtime',
  'localtimestamp',
  'not',
  'null',
  'offset',
  'on',
  'only',
  'or',
  'order',
  'placing',
  'primary',
  'references',
  'returning',
  'select',
  'session_user',
  'some',
  'symmetric',
  'table',
  'then',
  'to',
  'trailing',
  'true',
  'union',
  'unique',
  'user',
  'using',
  'variadic',
  'when',
  'where',
  'window',
  'with',
]);

export const SLUG_MIN = 2;
export const SLUG_MAX = 38;

/** Returns a message saying what is wrong with the slug, or null when it is acceptable. */
export function slugProblem(slug: string): string | null {
  if (slug.length < SLUG_MIN || slug.length > SLUG_MAX) {
    return `must be ${SLUG_MIN} to ${SLUG_MAX} characters long`;
  }
  if (!SLUG_RE.test(slug)) {
    return 'may contain only lowercase letters, digits and single hyphens, and must start with a letter';
  }
  if (isReservedLabel(slug) || slug.startsWith('pg-') || slug.startsWith('pg_')) {
    return `"${slug}" is reserved`;
  }
  return null;
}

/** A reserved subdomain, or the base domain's own first label ("steward" of steward.example). */
function isReservedLabel(label: string): boolean {
  return RESERVED_SLUGS.has(label) || label === config.BASE_DOMAIN.split('.')[0];
}

/**
 * What is wrong with a custom domain that names the platform's own hosts, or null: the base domain
 * itself, or a reserved label directly under it (admin.<base>, www.<base>).
 */
export function reservedDomainProblem(domain: string): string | null {
  const base = config.BASE_DOMAIN.toLowerCase();
  if (domain === base) return "is the platform's own address";
  if (domain.endsWith(`.${base}`)) {
    const label = domain.slice(0, -base.length - 1);
    if (!label.includes('.') && isReservedLabel(label)) return `"${domain}" is reserved`;
  }
  return null;
}

export function schemaForSlug(slug: string): string {
  return assertSchemaName(`t_${slug.replace(/-/g, '_')}`);
}

export function isSchemaName(name: string): boolean {
  return SCHEMA_RE.test(name) && !RESERVED_WORDS.has(name);
}

export function assertSchemaName(name: string): string {
  if (!isSchemaName(name)) throw new Error(`Invalid tenant schema name: ${JSON.stringify(name)}`);
  return name;
}

/** Quotes an SQL identifier (doubling embedded quotes), for names already validated. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
