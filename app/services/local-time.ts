import { Setting } from '../models/setting.ts';

/**
 * Dates and times as the tenant's people read them. Instants are stored as timestamptz; pages and
 * forms speak the wall-clock time of the tenant's time zone (the `time_zone` setting, UTC when unset).
 */

export const DEFAULT_TIME_ZONE = 'UTC';

/** True for a time zone name this runtime knows (e.g. "Africa/Nairobi"). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The current tenant's time zone. */
export async function tenantTimeZone(): Promise<string> {
  const name = (await Setting.all()).time_zone?.trim();
  return name && isTimeZone(name) ? name : DEFAULT_TIME_ZONE;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let format = partsFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormats.set(timeZone, format);
  }
  return format;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Offsets of a time zone by quarter hour of UTC: every change of offset (summer time, a zone's
 * new rules) falls on a quarter hour, so an offset read once holds for its whole quarter. Reading
 * it through Intl costs far more than the arithmetic, and a list shows many instants at once.
 */
const quarterOffsets = new Map<string, number>();
const QUARTER_MS = 15 * 60_000;

function offsetInQuarter(instant: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(instant / QUARTER_MS)}`;
  let offset = quarterOffsets.get(key);
  if (offset === undefined) {
    if (quarterOffsets.size >= 50_000) quarterOffsets.clear();
    offset = offsetAt(instant, timeZone);
    quarterOffsets.set(key, offset);
  }
  return offset;
}

/** The wall clock of `instant` in `timeZone`: "2026-12-06" and "10:30". */
export function localParts(instant: Date, timeZone: string): { date: string; time: string } {
  const wall = new Date(instant.getTime() + offsetInQuarter(instant.getTime(), timeZone));
  const year = wall.getUTCFullYear();
  return {
    date: `${year < 1000 ? String(year).padStart(4, '0') : year}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`,
    time: `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`,
  };
}

/** Milliseconds `timeZone` is ahead of UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  const p = Object.fromEntries(
    partsFormat(timeZone)
      .formatToParts(new Date(instant))
      .map((x) => [x.type, Number(x.value)]),
  );
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the clocks of `timeZone` show `date` ("YYYY-MM-DD") and `time` ("HH:MM").
 * When clocks go back, a repeated time means its first occurrence; when they go forward, a skipped
 * time is read with the offset of before the change (02:30 becomes 03:30).
 */
export function instantOf(date: string, time: string, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const day = 86_400_000;
  const before = wall - offsetAt(wall - day, timeZone);
  const after = wall - offsetAt(wall + day, timeZone);
  const shows = (t: number) => {
    const p = localParts(new Date(t), timeZone);
    return p.date === date && p.time === time.slice(0, 5);
  };
  const valid = [before, after].filter(shows);
  return new Date(valid.length ? Math.min(...valid) : before);
}

const displayFormats = new Map<string, Intl.DateTimeFormat>();

/** "Sun, 6 Dec 2026, 10:30" in `timeZone`. */
export function formatDateTime(instant: Date, timeZone: string): string {
  let format = displayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    displayFormats.set(timeZone, format);
  }
  return format.format(instant);
}
