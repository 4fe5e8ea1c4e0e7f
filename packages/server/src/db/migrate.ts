import { Migrator, type Migration } from 'kysely/migration';
import { kycMigrations } from '../modules/kyc/tables.ts';
import { partnerMigrations } from '../modules/partners/tables.ts';
import { sessionMigrations } from '../modules/sessions/tables.ts';
import { transactionMigrations } from '../modules/transactions/tables.ts';
import type { Db } from './database.ts';

/** Every module's migrations; names start with a global sequence number that fixes their order. */
const migrations: Record<string, Migration> = {
  ...partnerMigrations,
  ...kycMigrations,
  ...transactionMigrations,
  ...sessionMigrations,
};

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
