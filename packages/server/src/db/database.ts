import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, type LogEvent, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ensurePrivateDir } from '../lib/private-dir.ts';
import { SerialPGliteDialect } from './pglite-dialect.ts';
import { DatabaseReadiness } from './readiness.ts';
import type { Tables } from './tables.ts';

export type Db = Kysely<Tables>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Fed by every completed query; what /readyz asks. */
  readiness: DatabaseReadiness;
  /** The PostgreSQL pool's connections (open, idle) and the queries waiting for one; absent on the embedded database. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL URL; without one the embedded database is used. */
  url?: string | undefined;
  /** Where the embedded database keeps its files; undefined keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Run everything inside this PostgreSQL schema (tests isolate themselves this way). */
  schema?: string | undefined;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path=${quoteIdentifier(options.schema)}` } : {}),
    });
    // An idle client losing its server must not take the process down; the next query reconnects.
    pool.on('error', () => {});
    const readiness = new DatabaseReadiness();
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }), log: answersTo(readiness) });
    const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
    return { db, kind: 'postgres', readiness, poolStats, close: () => db.destroy() };
  }
  let path: string | undefined;
  if (options.dataDir) {
    ensurePrivateDir(options.dataDir);
    path = join(options.dataDir, 'db');
    ensurePrivateDir(path);
  }
  const pglite = await PGlite.create(path);
  const readiness = new DatabaseReadiness();
  const db = new Kysely<Tables>({ dialect: new SerialPGliteDialect(pglite), log: answersTo(readiness) });
  return { db, kind: 'pglite', readiness, close: () => db.destroy() };
}

function answersTo(readiness: DatabaseReadiness): (event: LogEvent) => void {
  return (event) => {
    if (event.level === 'query') readiness.recordAnswer();
  };
}

export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe identifier: ${name}`);
  return `"${name}"`;
}
