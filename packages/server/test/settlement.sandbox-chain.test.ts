import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomAddress } from './conformance/chains.ts';
import { ADMIN_TOKEN, expectError, request, startTestServer, type TestServer } from './helpers/test-platform.ts';

/**
 * The sandbox chain as the operator drives it over HTTP (/admin/sandbox/chain/…), on the server's own
 * database and clock: deposits, blocks, drops and reorganisations seen through the platform's chain
 * adapter; none of it in production, where the routes do not exist.
 */
describe('sandbox chain admin routes', () => {
  let server: TestServer;
  const admin = (path: string, body?: unknown, method = 'POST') =>
    request(`${server.url}/admin/sandbox/chain${path}`, { method, token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });
  const chain = () => server.platform.providers.chains.chainFor('TRC20');

  beforeAll(async () => {
    server = await startTestServer({ env: { SANDBOX_BLOCK_TIME: '10s' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends a deposit of a decimal amount, mined in the next block, and mines blocks on demand', async () => {
    const to = randomAddress('TRC20');
    const sent = await admin('/deposits', { network: 'TRC20', asset: 'USDT', to, amount: '100.5' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body).toEqual({
      network: 'TRC20',
      asset: 'USDT',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      block_number: '1',
      head: '0',
    });
    expect(await chain().transferStatus({ network: 'TRC20', hash: sent.body.hash })).toEqual({ state: 'pending' });

    const mined = await admin('/mine', { network: 'TRC20', blocks: 3 });
    expect(mined.body).toEqual({ network: 'TRC20', head: '3' });
    const deposits = await chain().deposits({ network: 'TRC20', asset: 'USDT', addresses: [to], fromBlock: 0n, toBlock: 3n });
    expect(deposits).toMatchObject([{ hash: sent.body.hash, amountMinor: 100_500_000n, blockNumber: 1n }]);

    server.clock.advance(20_000);
    expect(await chain().head({ network: 'TRC20' })).toBe(5n);
  });

  it('reorganises the last blocks, moving or dropping their transfers', async () => {
    const to = randomAddress('TRC20');
    const sent = (await admin('/deposits', { network: 'TRC20', asset: 'USDT', to, amount: '1' })).body;
    await admin('/mine', { network: 'TRC20', blocks: 1 });
    const before = await chain().blockHash({ network: 'TRC20', number: BigInt(sent.block_number) });
    const moved = await admin('/reorg', { network: 'TRC20', depth: 1 });
    expect(moved.body).toEqual({
      network: 'TRC20',
      from_block: sent.block_number,
      head: sent.block_number,
      moved: [sent.hash],
      dropped: [],
    });
    expect(await chain().blockHash({ network: 'TRC20', number: BigInt(sent.block_number) })).not.toBe(before);
    expect(await chain().transferStatus({ network: 'TRC20', hash: sent.hash })).toEqual({ state: 'pending' });
    await admin('/mine', { network: 'TRC20', blocks: 1 });
    const dropped = await admin('/reorg', { network: 'TRC20', depth: 1, drop_transfers: true });
    expect(dropped.body).toMatchObject({ moved: [], dropped: [sent.hash] });
    expect(await chain().transferStatus({ network: 'TRC20', hash: sent.hash })).toEqual({ state: 'unknown' });
  });

  it('drops a transfer by its hash, and answers 404 for one it does not carry', async () => {
    const sent = (await admin('/deposits', { network: 'TRC20', asset: 'USDT', to: randomAddress('TRC20'), amount: '2' })).body;
    const dropped = await admin(`/TRC20/transfers/${sent.hash}/drop`);
    expect(dropped.status).toBe(200);
    expect(dropped.body).toMatchObject({ network: 'TRC20', dropped: [sent.hash] });
    expectError(await admin(`/TRC20/transfers/${sent.hash}/drop`), 404, 'not_found', 'not_found');
  });

  it('refuses bad input with the field it is about', async () => {
    const cases: [string, unknown, string][] = [
      ['/deposits', { network: 'TRC20', asset: 'USDT', to: randomAddress('TRC20'), amount: '1.0000001' }, 'amount'],
      ['/deposits', { network: 'TRC20', asset: 'USDT', to: randomAddress('SOL'), amount: '1' }, 'to'],
      ['/deposits', { network: 'TRC20', asset: 'ETH', to: randomAddress('TRC20'), amount: '1' }, 'asset'],
      ['/reorg', { network: 'TRC20', depth: 10_000 }, 'depth'],
    ];
    for (const [path, body, field] of cases) {
      const answer = expectError(await admin(path, body), 400, 'invalid_request', 'validation_error');
      expect(answer.details, JSON.stringify(body)).toEqual([expect.objectContaining({ field })]);
    }
    expectError(await admin('/mine', { network: 'TRC20', blocks: 0 }), 400, 'invalid_request', 'validation_error');
    expectError(
      await request(`${server.url}/admin/sandbox/chain/mine`, { body: { network: 'TRC20', blocks: 1 } }),
      401,
      'unauthorised',
      'missing_token',
    );
  });
});

describe('sandbox chain admin routes on a network on none', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { CHAIN_ADAPTER_SOL: 'none' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuse that network', async () => {
    const answer = await request(`${server.url}/admin/sandbox/chain/mine`, { token: ADMIN_TOKEN, body: { network: 'SOL', blocks: 1 } });
    expect(expectError(answer, 400, 'invalid_request', 'validation_error').details).toEqual([
      { field: 'network', issue: expect.stringContaining('CHAIN_ADAPTER_SOL') },
    ]);
    expect(() => server.platform.providers.chains.chainFor('SOL')).toThrow('CHAIN_ADAPTER_SOL=none');
  });
});
