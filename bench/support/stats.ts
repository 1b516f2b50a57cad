/** Small statistics and printing helpers shared by the benchmarks. */

export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

/**
 * The q-th quantile (0..1) with linear interpolation between the closest ranks (numpy's default),
 * so a median of an even count is the mean of the two middle values.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    min: Math.min(...values),
    median: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    max: Math.max(...values),
    mean: values.reduce((s, v) => s + v, 0) / values.length,
  };
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function ms(value: number): string {
  return `${round(value, value < 10 ? 2 : 1)} ms`;
}

export function seconds(msValue: number): string {
  return `${round(msValue / 1000, 2)} s`;
}

/** Milliseconds since `start` (a `performance.now()` reading). */
export function since(start: number): number {
  return performance.now() - start;
}

/** Times one call; returns its value and how long it took in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: since(start) };
}

export function section(title: string): void {
  process.stdout.write(`\n== ${title} ==\n`);
}

export function line(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(44)} ${value}\n`);
}

export function note(text: string): void {
  process.stdout.write(`  (${text})\n`);
}

export function summaryLine(s: Summary): string {
  return `median ${ms(s.median)}  p90 ${ms(s.p90)}  min ${ms(s.min)}  max ${ms(s.max)}  (n=${s.n})`;
}

/** "PASS"/"MISS" against a target, so a reader sees at once which goals hold. */
export function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  ok: boolean;
}

export function target(name: string, targetText: string, actual: string, ok: boolean): TargetCheck {
  line(`target: ${name}`, `${verdict(ok)} (${actual}; target ${targetText})`);
  return { name, target: targetText, actual, ok };
}
