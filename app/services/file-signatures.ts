/**
 * Recognising a file from its first bytes, for uploads (receipts, task attachments): the type a
 * browser declares is not trusted.
 */

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

const latin1 = (data: Buffer, from: number, to: number) => data.subarray(from, to).toString('latin1');

/** Where the PDF header starts within the first KiB (some writers put bytes before it), or -1. */
export const pdfHeaderAt = (data: Buffer): number => data.subarray(0, 1024).indexOf('%PDF-');
export const isPng = (data: Buffer): boolean => data.subarray(0, 8).equals(PNG);
export const isJpeg = (data: Buffer): boolean => data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
export const isGif = (data: Buffer): boolean => ['GIF87a', 'GIF89a'].includes(latin1(data, 0, 6));
export const isWebp = (data: Buffer): boolean =>
  latin1(data, 0, 4) === 'RIFF' && latin1(data, 8, 12) === 'WEBP';
export const isHeic = (data: Buffer): boolean =>
  latin1(data, 4, 8) === 'ftyp' && HEIC_BRANDS.has(latin1(data, 8, 12));
export const isZip = (data: Buffer): boolean => data.subarray(0, 4).equals(ZIP);
