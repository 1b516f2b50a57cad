import { expect } from 'chai';
import { isHeic, isWebp } from '../../app/services/file-signatures.ts';

const box = (brand: string) =>
  Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}`), Buffer.alloc(32)]);
const riff = (form: string) =>
  Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from(form), Buffer.alloc(32)]);

describe('boundaries: image signatures need their brand, not only their container', () => {
  it('accepts an HEIC file by its brand', () => {
    expect(isHeic(box('heic'))).to.equal(true);
    expect(isHeic(box('mif1'))).to.equal(true);
  });

  for (const brand of ['isom', 'mp42', 'qt  ', 'M4A ']) {
    it(`does not take an ftyp file of brand "${brand}" (video, audio) for HEIC`, () => {
      expect(isHeic(box(brand))).to.equal(false);
    });
  }

  it('accepts a WebP file by its WEBP form type', () => {
    expect(isWebp(riff('WEBPVP8 '))).to.equal(true);
  });

  for (const form of ['WAVE', 'AVI ']) {
    it(`does not take a RIFF/${form.trim()} file for WebP`, () => {
      expect(isWebp(riff(form))).to.equal(false);
    });
  }
});
