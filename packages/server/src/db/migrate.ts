import { sql } from 'kysely';
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration';
import { callbackMigrations } from '../modules/callbacks/tables.ts';
import { deliveryMigrations } from '../modules/delivery/tables.ts';
import { embedMigrations } from '../modules/embed/tables.ts';
import { kycMigrations } from '../modules/kyc/tables.ts';
import { limitMigrations } from '../modules/limits/tables.ts';
import { partnerMigrations } from '../modules/partners/tables.ts';
import { paymentMigrations } from '../modules/payments/tables.ts';
import { sessionMigrations } from '../modules/sessions/tables.ts';
import { settlementMigrations } from '../modules/settlement/tables.ts';
import { transactionEventMigrations, transactionMigrations } from '../modules/transactions/tables.ts';
import type { Db } from './database.ts';

/** Every module's migrations; names start with a global sequence number that fixes their order. */
const migrations: Record<string, Migration> = {
  ...partnerMigrations,
  ...kycMigrations,
  ...transactionMigrations,
  ...sessionMigrations,
  ...transactionEventMigrations,
  ...deliveryMigrations,
  ...callbackMigrations,
  ...embedMigrations,
  ...paymentMigrations,
  ...settlementMigrations,
  ...limitMigrations,
};

export async function migrateToLatest(db: Db): Promise<string[]> {
  return applied(await (await migrator(db)).migrateToLatest());
}

/** Brings the schema up to `name` and no further: tests build an older schema with it to check a later migration. */
export async function migrateTo(db: Db, name: string): Promise<string[]> {
  if (!(name in migrations)) throw new Error(`no migration ${name}`);
  return applied(await (await migrator(db)).migrateTo(name));
}

async function migrator(db: Db): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one; another schema
  // of the same database (a second deployment, a parallel test) would then make it skip creating
  // them here and fail. Keep them in the schema the application's tables go to.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return new Migrator({
    db,
    migrationTableSchema: rows[0]?.schema,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
