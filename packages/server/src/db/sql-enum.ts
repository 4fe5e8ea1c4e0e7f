import { type RawBuilder, sql } from 'kysely';

/**
 * `'a', 'b', 'c'` for a CHECK constraint built from a status array. DDL cannot take bind parameters,
 * so the values are inlined as literals; they come from our own `as const` arrays, never from input.
 */
export function sqlEnumList(values: readonly string[]): RawBuilder<unknown> {
  return sql.join(values.map((value) => sql.lit(value)));
}
