import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { expectError, sessionBody } from './helpers/test-platform.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

// anvil's public test mnemonic; the operator's wallet would hold its own.
const root = HDKey.fromMasterSeed(
  pbkdf2(sha512, 'test test test test test test test test test test test junk', 'mnemonic', { c: 2048, dkLen: 64 }),
);
const account = root.derive("m/44'/60'/0'");

/**
 * DEPOSIT_ADDRESS_PROVIDER=hd through real sell sessions: each sell gets the address at
 * <xpub>/0/<index>, its index recorded once, unique, and never handed out again, even when a
 * session that reserved it failed. The wallet behind the xpub holds the key of every address.
 */
describe('HD deposit addresses for sell sessions', () => {
  const server = useServerWithPartner({ env: { DEPOSIT_ADDRESS_PROVIDER: 'hd', DEPOSIT_XPUB_EVM: account.publicExtendedKey } });

  const recorded = async () => server.platform.db.selectFrom('deposit_addresses').selectAll().orderBy('derivation_index').execute();

  it('gives each sell the address at the next index, recorded with its index, and the wallet holds its key', async () => {
    const first = await server.createSession(sessionBody({ type: 'sell', network: 'ERC20', merchant_transaction_id: 'hd-1' }));
    const second = await server.createSession(sessionBody({ type: 'sell', network: 'ERC20', merchant_transaction_id: 'hd-2' }));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const rows = await recorded();
    expect(rows.map((row) => [row.merchant_transaction_id, row.derivation_index, row.address, row.provider, row.network])).toEqual([
      ['hd-1', 0, first.body.address, 'hd', 'ERC20'],
      ['hd-2', 1, second.body.address, 'hd', 'ERC20'],
    ]);
    // The operator's wallet derives the private key of each address at the recorded index.
    for (const row of rows) {
      const key = account.deriveChild(0).deriveChild(row.derivation_index).privateKey!;
      expect(privateKeyToAccount(`0x${Buffer.from(key).toString('hex')}`).address).toBe(row.address);
    }
    expect(first.body.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });

  it('a replayed session keeps its address; a buy takes no index', async () => {
    const again = await server.createSession(sessionBody({ type: 'sell', network: 'ERC20', merchant_transaction_id: 'hd-1' }));
    expect(again.body.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect((await server.createSession(sessionBody({ network: 'ERC20' }))).status).toBe(200);
    expect(await recorded()).toHaveLength(2);
  });

  it('a network without a key answers 502 and burns its index: the next sell never gets it', async () => {
    const refused = await server.createSession(sessionBody({ type: 'sell', network: 'TRC20', merchant_transaction_id: 'hd-tron' }));
    const body = expectError(refused, 502, 'upstream_error', 'provider_error');
    expect(body.message).not.toContain('xpub');
    const next = await server.createSession(sessionBody({ type: 'sell', network: 'BEP20', merchant_transaction_id: 'hd-3' }));
    expect(next.status).toBe(200);
    const rows = await recorded();
    expect(rows.map((row) => [row.merchant_transaction_id, row.derivation_index])).toEqual([
      ['hd-1', 0],
      ['hd-2', 1],
      ['hd-3', 3],
    ]);
    expect(next.body.address).toBe(
      privateKeyToAccount(`0x${Buffer.from(account.deriveChild(0).deriveChild(3).privateKey!).toString('hex')}`).address,
    );
  });
});

describe('sells the platform could not finish are refused before any address is handed out', () => {
  const server = useServerWithPartner({ env: { CHAIN_ADAPTER_TRC20: 'none', PAYOUT_PROVIDER: 'none' } });

  it('no chain adapter watches the network, or no payout provider pays out: 502, no index reserved, buys unaffected', async () => {
    for (const network of ['TRC20', 'ERC20']) {
      const refused = await server.createSession(sessionBody({ type: 'sell', network }));
      expectError(refused, 502, 'upstream_error', 'provider_error');
    }
    expect(await server.platform.db.selectFrom('deposit_addresses').selectAll().execute()).toEqual([]);
    expect((await server.createSession(sessionBody({ network: 'ERC20' }))).status).toBe(200);
  });

  it('a buy on a network no chain adapter sends on is refused too (502), before the user could pay for it', async () => {
    const refused = await server.createSession(sessionBody({ network: 'TRC20', merchant_transaction_id: 'undeliverable-buy' }));
    const body = expectError(refused, 502, 'upstream_error', 'provider_error');
    expect(body.message).not.toContain('CHAIN_ADAPTER');
    expect(
      await server.platform.db.selectFrom('transactions').select('id').where('merchant_transaction_id', '=', 'undeliverable-buy').execute(),
    ).toEqual([]);
  });
});
