import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderSdkTypes } from '../../../scripts/sdk-types.ts';
import { useServerWithPartner } from '../../server/test/helpers/use-server-with-partner.ts';

/** The SDK's wire types are generated from the served OpenAPI document; this keeps the two equal. */
describe('SDK types against the served /openapi.json', () => {
  const server = useServerWithPartner();
  let document: any;
  beforeAll(async () => {
    document = await (await fetch(`${server.url}/openapi.json`)).json();
  });

  it('equal what the server serves (after a contract change, run npm run generate:sdk-types)', async () => {
    const committed = await readFile(new URL('../src/generated/api-types.ts', import.meta.url), 'utf8');
    expect(await renderSdkTypes(document)).toBe(committed);
  });

  it('would notice a field the server stopped serving', async () => {
    const changed = structuredClone(document);
    delete changed.paths['/widget/transactions/{merchant_transaction_id}'].get.responses['200'].content['application/json'].schema
      .properties.fiat_amount;
    const rendered = await renderSdkTypes(changed);
    expect(rendered).not.toBe(await renderSdkTypes(document));
    expect(rendered).toMatch(/export interface Transaction \{[^}]*crypto_amount: string;\n {2}fiat_currency: string;\n {2}created_at/);
  });
});
