/**
 * Money is kept as integer cents (BIGINT, read as strings) and never goes through floating point.
 */

const AMOUNT_RE = /^\s*(-)?\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/;

/** "12.5" → "1250", "0.07" → "7", "-3" → "-300"; null when the text is not an amount with at most two decimals. */
export function parseCents(text: string): string | null {
  const m = AMOUNT_RE.exec(text.replace(/[$€£\s]/g, (c) => (c.trim() ? '' : ' ')));
  if (!m) return null;
  const cents = BigInt(m[2]) * 100n + BigInt((m[3] ?? '0').padEnd(2, '0'));
  return (m[1] && cents !== 0n ? -cents : cents).toString();
}

/** "123456" → "1,234.56" (with the currency symbol when given). */
export function formatCents(cents: string | number | bigint, symbol = ''): string {
  const v = BigInt(cents);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${symbol}${whole}.${frac}`;
}

/** The exact sum of cents values. */
export function sumCents(values: (string | number | bigint)[]): string {
  return values.reduce<bigint>((acc, v) => acc + BigInt(v), 0n).toString();
}
