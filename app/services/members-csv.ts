import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { col, fn, Op, where as sqlWhere } from 'sequelize';
import { db } from '../db/database.ts';
import { lockForTransaction } from '../db/locks.ts';
import { Household, Member } from '../models/index.ts';
import { type MemberCsvRow, memberCsvRowSchema } from '../validators/member.validator.ts';
import * as audit from './audit.ts';
import { fileStore } from './storage.ts';

/**
 * The directory as CSV: the export file, and the import of a file in two steps (check and show the
 * rows, then insert the valid ones in one transaction).
 */

export const CSV_COLUMNS = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'address',
  'birth_date',
  'status',
  'joined_on',
  'household',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly CsvColumn[] = ['first_name', 'last_name'];
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
export const IMPORT_FILE_KIND = 'member-import';
/** Rows per INSERT statement; a file larger than this is inserted in several statements. */
export const INSERT_BATCH = 500;

const FIELD_OF: Record<CsvColumn, keyof MemberCsvRow> = {
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  phone: 'phone',
  address: 'address',
  birth_date: 'birthDate',
  status: 'status',
  joined_on: 'joinedOn',
  household: 'household',
};
const COLUMN_OF = Object.fromEntries(Object.entries(FIELD_OF).map(([c, f]) => [f, c])) as Record<
  keyof MemberCsvRow,
  CsvColumn
>;

// ---------------------------------------------------------------------------------------------- export

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before them) as a
 * formula; a leading apostrophe makes it plain text.
 */
export function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/** The export file: a BOM (so spreadsheets read UTF-8), the header, one row per person. */
export function membersCsv(members: Member[]): string {
  const rows = members.map((m) => [
    m.firstName,
    m.lastName,
    m.email ?? '',
    m.phone ?? '',
    m.address ?? '',
    m.birthDate ?? '',
    m.status,
    m.joinedOn ?? '',
    m.household?.name ?? '',
  ]);
  const body = stringify([[...CSV_COLUMNS], ...rows.map((r) => r.map((c) => neutralise(String(c))))], {
    record_delimiter: 'windows',
  });
  return `\ufeff${body}`;
}

// ---------------------------------------------------------------------------------------------- import

/** A problem with the whole file: nothing in it can be imported. */
export class CsvFileError extends Error {}

export interface RowProblem {
  /** The row as a spreadsheet numbers it: the header is row 1. */
  row: number;
  field: string;
  message: string;
}

export interface ValidRow {
  row: number;
  data: MemberCsvRow;
}

export interface ImportCheck {
  rowCount: number;
  valid: ValidRow[];
  problems: RowProblem[];
  /** Rows with at least one problem. */
  skipped: number;
  /** Household names of the file that no household has yet (they are created on import). */
  newHouseholds: string[];
}

const expectedColumns = `Expected columns: ${CSV_COLUMNS.join(', ')} (first_name and last_name are required).`;

/** The file's text: UTF-8, with or without a byte order mark. */
function textOf(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    throw new CsvFileError('The file is not UTF-8 text. Save it from your spreadsheet as "CSV UTF-8".');
  }
}

/** The header and the data rows of a CSV file; refuses a file whose columns are not the expected ones. */
export function readCsv(data: Buffer): { columns: CsvColumn[]; rows: { row: number; cells: string[] }[] } {
  if (data.length > MAX_IMPORT_BYTES) throw new CsvFileError(tooLargeMessage());
  let records: string[][];
  try {
    records = parse(textOf(data), { bom: true, relax_column_count: true, skip_empty_lines: true });
  } catch (err) {
    if (err instanceof CsvError) {
      throw new CsvFileError(`The file is not valid CSV (${err.message.replace(/^Invalid [^:]*: /, '')}).`);
    }
    throw err;
  }
  const [header, ...body] = records;
  if (!header || header.every((h) => !h.trim())) {
    throw new CsvFileError(`The file is empty: it needs a header row. ${expectedColumns}`);
  }
  const columns = columnsOf(header);
  const rows = body
    .map((cells, i) => ({ row: i + 2, cells }))
    .filter(({ cells }) => cells.some((c) => c.trim() !== ''));
  return { columns, rows };
}

function columnsOf(header: string[]): CsvColumn[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length) {
    const shown = unknown.map((n) => `"${n || '(empty)'}"`).join(', ');
    throw new CsvFileError(`Unknown column${unknown.length > 1 ? 's' : ''} ${shown}. ${expectedColumns}`);
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length)
    throw new CsvFileError(`The column "${repeated[0]}" appears twice. ${expectedColumns}`);
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length) throw new CsvFileError(`Missing column ${missing.join(' and ')}. ${expectedColumns}`);
  return names as CsvColumn[];
}

/** An exported cell comes back as typed: the apostrophe added against formulas is dropped. */
function unneutralise(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** Checks every row (fields, then e-mails repeated in the file or already used here); reads the database. */
export async function checkImport(data: Buffer): Promise<ImportCheck> {
  const { columns, rows } = readCsv(data);
  const problems: RowProblem[] = [];
  const parsed: ValidRow[] = [];
  const rowsWithProblems = new Set<number>();
  const report = (row: number, field: string, message: string) => {
    problems.push({ row, field, message });
    rowsWithProblems.add(row);
  };
  for (const { row, cells } of rows) {
    if (cells.length !== columns.length) {
      report(row, '(row)', `has ${cells.length} cells; the header has ${columns.length}`);
      continue;
    }
    const input = Object.fromEntries(columns.map((c, i) => [FIELD_OF[c], unneutralise(cells[i])]));
    const result = memberCsvRowSchema.safeParse(input);
    if (result.success) parsed.push({ row, data: result.data });
    else for (const issue of result.error.issues) report(row, columnName(issue.path), issue.message);
  }
  await checkEmails(parsed, report);
  const valid = parsed.filter((r) => !rowsWithProblems.has(r.row));
  return {
    rowCount: rows.length,
    valid,
    problems: problems.sort((a, b) => a.row - b.row),
    skipped: rowsWithProblems.size,
    newHouseholds: await unknownHouseholds(valid),
  };
}

function columnName(path: PropertyKey[]): string {
  const field = String(path[0] ?? '');
  return COLUMN_OF[field as keyof MemberCsvRow] ?? field;
}

async function checkEmails(rows: ValidRow[], report: (row: number, field: string, message: string) => void) {
  const firstRow = new Map<string, number>();
  for (const { row, data } of rows) {
    if (!data.email) continue;
    const seen = firstRow.get(data.email);
    if (seen) report(row, 'email', `is also on row ${seen}`);
    else firstRow.set(data.email, row);
  }
  const used = await emailsInUse([...firstRow.keys()]);
  for (const [email, row] of firstRow) {
    if (used.has(email)) report(row, 'email', 'is already used by someone in the directory');
  }
}

/** Which of `emails` (lower case) a person here already has. */
async function emailsInUse(emails: string[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (let i = 0; i < emails.length; i += 1000) {
    const rows = await Member.findAll({
      attributes: [[fn('lower', col('email')), 'email']],
      where: sqlWhere(fn('lower', col('email')), { [Op.in]: emails.slice(i, i + 1000) }),
      raw: true,
    });
    for (const r of rows) if (r.email) used.add(r.email);
  }
  return used;
}

const householdKey = (name: string) => name.trim().toLowerCase();

/** Existing households by lower-case name (the oldest wins when two share a name). */
async function householdsByName(): Promise<Map<string, string>> {
  const all = await Household.findAll({
    attributes: ['id', 'name'],
    order: [['id', 'DESC']],
    raw: true,
  });
  return new Map(all.map((h) => [householdKey(h.name), String(h.id)]));
}

async function unknownHouseholds(rows: ValidRow[]): Promise<string[]> {
  const known = await householdsByName();
  const fresh = new Map<string, string>();
  for (const { data } of rows) {
    if (data.household && !known.has(householdKey(data.household))) {
      fresh.set(householdKey(data.household), data.household);
    }
  }
  return [...fresh.values()];
}

/** Keeps the uploaded file for the confirm step; the key goes into the preview's hidden field. */
export function storeImport(data: Buffer): Promise<string> {
  return fileStore.put(IMPORT_FILE_KIND, data);
}

/** Thrown when the stored file of an import is gone (already imported, or discarded). */
export class ImportGone extends Error {
  constructor() {
    super('This import has already been done or was discarded. Upload the file again.');
  }
}

async function readStored(key: string): Promise<Buffer> {
  const opened = await fileStore.open(key).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new ImportGone();
    throw err;
  });
  const chunks: Buffer[] = [];
  for await (const chunk of opened.stream as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ImportResult {
  imported: number;
  check: ImportCheck;
}

/**
 * Checks the stored file again (someone may have added a person meanwhile) and inserts its valid rows,
 * their new households and one audit entry in ONE transaction: if anything fails, nothing is saved and
 * the file is kept. Two confirmations of the same file run one after the other (an advisory lock on
 * the key); the second finds the file gone.
 */
export async function runImport(key: string, fileName: string): Promise<ImportResult> {
  return db().transaction(async () => {
    await lockForTransaction(`steward:member-import:${key}`);
    const check = await checkImport(await readStored(key));
    const householdIds = await householdsFor(check.valid);
    for (let i = 0; i < check.valid.length; i += INSERT_BATCH) {
      await Member.bulkCreate(
        check.valid.slice(i, i + INSERT_BATCH).map(({ data: { household, ...fields } }) => ({
          ...fields,
          householdId: household ? (householdIds.get(householdKey(household)) ?? null) : null,
          notes: null,
          userId: null,
        })),
      );
    }
    await audit.record({
      action: 'member.imported',
      recordType: 'member',
      recordLabel: fileName,
      changes: {
        imported: { from: null, to: check.valid.length },
        skipped: { from: null, to: check.skipped },
        householdsCreated: { from: null, to: check.newHouseholds.length },
      },
    });
    await fileStore.remove(key);
    return { imported: check.valid.length, check };
  });
}

/** The household id of every household name of `rows`, creating the ones that do not exist. */
async function householdsFor(rows: ValidRow[]): Promise<Map<string, string>> {
  const ids = await householdsByName();
  for (const { data } of rows) {
    if (!data.household || ids.has(householdKey(data.household))) continue;
    const created = await Household.create({ name: data.household, address: null, phone: null });
    ids.set(householdKey(data.household), String(created.id));
  }
  return ids;
}

/** Drops a stored import the user decided not to run. */
export function discardImport(key: string): Promise<void> {
  return fileStore.remove(key);
}

export function tooLargeMessage(): string {
  return `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB. Split it into smaller files and import them one by one.`;
}
