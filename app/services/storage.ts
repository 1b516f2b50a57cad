import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { config } from '../../config/index.ts';
import { requireTenant } from '../tenancy/context.ts';
import { assertSchemaName } from '../tenancy/schema-name.ts';

/**
 * Where uploaded files live. Keys are made here and always start with the current tenant's schema,
 * so one tenant can never name another's file. A bucket store can replace the folder by
 * implementing the same interface.
 */
export interface FileStore {
  put(kind: string, data: Buffer): Promise<string>;
  open(key: string): Promise<{ stream: Readable; size: number }>;
  remove(key: string): Promise<void>;
  /** Removes the current tenant's files of `kind` written before `cutoff`; answers how many went. */
  removeOlderThan(kind: string, cutoff: Date): Promise<number>;
}

const KIND_RE = /^[a-z][a-z0-9-]{0,30}$/;
const KEY_RE = /^(t_[a-z][a-z0-9_]{1,40})\/([a-z][a-z0-9-]{0,30})\/([0-9a-f-]{36})$/;
const NAME_RE = /^[0-9a-f-]{36}$/;

export class FolderStore implements FileStore {
  constructor(private readonly root: string) {}

  /** The file's path, refusing any key that is not the current tenant's. */
  private pathOf(key: string): string {
    const m = KEY_RE.exec(key);
    const schema = requireTenant().schema;
    if (!m || m[1] !== schema) throw new Error('This file does not belong to the current tenant');
    return path.join(this.root, assertSchemaName(m[1]), m[2], m[3]);
  }

  async put(kind: string, data: Buffer): Promise<string> {
    if (!KIND_RE.test(kind)) throw new Error(`Bad file kind ${kind}`);
    const key = `${requireTenant().schema}/${kind}/${randomUUID()}`;
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data, { flag: 'wx' });
    return key;
  }

  async open(key: string): Promise<{ stream: Readable; size: number }> {
    const file = this.pathOf(key);
    const { size } = await stat(file);
    return { stream: createReadStream(file), size };
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removeOlderThan(kind: string, cutoff: Date): Promise<number> {
    if (!KIND_RE.test(kind)) throw new Error(`Bad file kind ${kind}`);
    const schema = requireTenant().schema;
    const names = await readdir(path.join(this.root, assertSchemaName(schema), kind)).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      },
    );
    let removed = 0;
    for (const name of names.filter((n) => NAME_RE.test(n))) {
      const file = this.pathOf(`${schema}/${kind}/${name}`);
      const { mtime } = await stat(file);
      if (mtime >= cutoff) continue;
      await rm(file, { force: true });
      removed += 1;
    }
    return removed;
  }
}

export const fileStore: FileStore = new FolderStore(config.storageDir);

/** A file name safe to show and to send in Content-Disposition: no path, no control characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    // Control characters (U+0000 to U+001F and U+007F) and characters that break headers or file systems.
    .replace(/\p{Cc}|["<>|:*?]/gu, '')
    .replace(/^\.+/, '')
    .trim();
  return (cleaned || 'file').slice(0, 150);
}

/** A Content-Disposition header value with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(name: string, inline = false): string {
  const safe = safeFileName(name);
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safe)}`;
}
