import type { CallbackTables } from '../modules/callbacks/tables.ts';
import type { DeliveryTables } from '../modules/delivery/tables.ts';
import type { EmbedTables } from '../modules/embed/tables.ts';
import type { KycTables } from '../modules/kyc/tables.ts';
import type { LimitTables } from '../modules/limits/tables.ts';
import type { PartnerTables } from '../modules/partners/tables.ts';
import type { PaymentTables } from '../modules/payments/tables.ts';
import type { SessionTables } from '../modules/sessions/tables.ts';
import type { SettlementTables } from '../modules/settlement/tables.ts';
import type { TransactionTables } from '../modules/transactions/tables.ts';

/** The whole schema as Kysely sees it: each module declares and migrates its own tables. */
export type Tables = PartnerTables &
  KycTables &
  TransactionTables &
  SessionTables &
  DeliveryTables &
  CallbackTables &
  EmbedTables &
  PaymentTables &
  SettlementTables &
  LimitTables;
