import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './database.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the embedded data folder', () => {
  let database: Database | undefined;
  afterEach(async () => database?.close());

  it('is created readable by its owner only, whatever the files inside say', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'proof-data-')), 'fresh');
    database = await openDatabase({ dataDir });
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'db'))).toBe(0o700);
    expect(readdirSync(join(dataDir, 'db')).length).toBeGreaterThan(0);
  });

  it('is tightened at start when an older version left it open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'proof-data-'));
    mkdirSync(join(dataDir, 'db'));
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'db'), 0o777);
    database = await openDatabase({ dataDir });
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'db'))).toBe(0o700);
  });
});
