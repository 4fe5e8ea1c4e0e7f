import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type Abi,
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  parseUnits,
  type TestClient,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

/**
 * A real local EVM chain for tests and benchmarks: anvil (the npm package @foundry-rs/anvil) as a
 * child process on a port of its own, a 6-decimals test USDT compiled in-process by solc-js, and viem
 * clients to drive it. Nothing is downloaded at run time. Plain Node, no test runner: the benchmarks
 * import it too.
 *
 * Reliability, as measured when this was chosen (docs/decisions/0016-chains.md): the platform binary
 * is started directly (the package's wrapper script leaves anvil running when it is SIGKILLed), under
 * `setpriv --pdeathsig SIGTERM` on Linux so anvil dies with its parent whatever kills the parent;
 * `--port 0` lets the system pick the port and anvil prints it; clients poll every 50 ms (viem's
 * default is 4 s); a snapshot id is good for one revert only.
 */

const require = createRequire(import.meta.url);

/** The chain id anvil is started with (its default). */
export const ANVIL_CHAIN_ID = 31337;

/**
 * Accounts 0–2 of the public test mnemonic ("test test … junk") that anvil funds with 10,000 ETH each.
 * Anyone can spend from them: production refuses them as the hot wallet.
 */
export const ANVIL_KEYS = {
  deployer: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  hotWallet: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  user: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
} as const satisfies Record<string, Hex>;

export interface LocalEvmChain {
  rpcUrl: string;
  pid: number;
  /** SIGTERM (anvil exits within milliseconds), SIGKILL after 5 s. Safe to call twice. */
  stop(): Promise<void>;
}

function anvilBinary(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch];
  if (!arch) throw new Error(`no anvil build for ${process.arch}`);
  const manifest = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
  return join(dirname(manifest), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

const hasSetpriv = process.platform === 'linux' && spawnSync('setpriv', ['--version']).status === 0;

/**
 * Starts anvil on 127.0.0.1 and a free port, with automine (each transaction in a block of its own).
 * `args` are added to anvil's (e.g. `['--block-time', '1']`).
 */
export async function startAnvil(options: { args?: string[]; timeoutMs?: number } = {}): Promise<LocalEvmChain> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(ANVIL_CHAIN_ID), ...(options.args ?? [])];
  const child: ChildProcess = hasSetpriv
    ? spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', anvilBinary(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const rpcUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`anvil was not listening within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /Listening on ([\d.]+):(\d+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(`http://${listening[1]}:${listening[2]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited (${code ?? signal}):\n${output}`));
    });
  });
  // Keep draining anvil's log: a full pipe would block it.
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.removeAllListeners('data');
    stream.resume();
  }
  return {
    rpcUrl,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** A 6-decimals ERC-20 like USDT: transfer, approve, transferFrom, mint by its owner. */
export const TEST_USDT_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract TestUSDT {
    string public constant name = "Test Tether USD";
    string public constant symbol = "USDT";
    uint8 public immutable decimals;
    uint256 public totalSupply;
    address public immutable owner;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    constructor(uint256 initialSupply, uint8 decimals_) { owner = msg.sender; decimals = decimals_; _mint(msg.sender, initialSupply); }
    function mint(address to, uint256 value) external { require(msg.sender == owner, "not owner"); _mint(to, value); }
    function transfer(address to, uint256 value) external returns (bool) { _transfer(msg.sender, to, value); return true; }
    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value; emit Approval(msg.sender, spender, value); return true;
    }
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 a = allowance[from][msg.sender];
        if (a != type(uint256).max) { require(a >= value, "insufficient allowance"); allowance[from][msg.sender] = a - value; }
        _transfer(from, to, value); return true;
    }
    function _transfer(address from, address to, uint256 value) internal {
        require(to != address(0), "zero address");
        uint256 b = balanceOf[from];
        require(b >= value, "insufficient balance");
        unchecked { balanceOf[from] = b - value; }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
    function _mint(address to, uint256 value) internal { totalSupply += value; balanceOf[to] += value; emit Transfer(address(0), to, value); }
}`;

export interface CompiledToken {
  abi: Abi;
  bytecode: Hex;
}

let compiled: CompiledToken | undefined;

/** Compiles the test token with solc-js (the compiler ships inside the npm package); once per process. */
export function compileToken(): CompiledToken {
  if (compiled) return compiled;
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'TestUSDT.sol': { content: TEST_USDT_SOURCE } },
    settings: {
      evmVersion: 'cancun', // pinned: solc 0.8.37 defaults to osaka
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { TestUSDT: ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((error: { severity: string }) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error: { formattedMessage: string }) => error.formattedMessage).join('\n'));
  const contract = output.contracts['TestUSDT.sol'].TestUSDT;
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}

export interface ChainClients {
  publicClient: PublicClient;
  testClient: TestClient<'anvil'>;
  /** A wallet client for one of the anvil keys (or any key). */
  wallet(key: Hex): WalletClient & { account: ReturnType<typeof privateKeyToAccount> };
}

/** viem clients for the chain at `rpcUrl`, polling every 50 ms. */
export function clientsFor(rpcUrl: string): ChainClients {
  const chain = defineChain({
    id: ANVIL_CHAIN_ID,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl);
  const pollingInterval = 50;
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval }) as PublicClient,
    testClient: createTestClient({ chain, transport, mode: 'anvil', pollingInterval }),
    wallet: (key) => createWalletClient({ chain, transport, account: privateKeyToAccount(key), pollingInterval }),
  };
}

export interface DeployedToken {
  address: Address;
  abi: Abi;
}

/**
 * Deploys the test token from the deployer account with `supply` (default 1,000,000 tokens) minted to
 * it; `decimals` is 6 unless told (BNB Chain's USDT has 18).
 */
export async function deployToken(rpcUrl: string, options: { supply?: bigint; decimals?: number } = {}): Promise<DeployedToken> {
  const decimals = options.decimals ?? 6;
  const { abi, bytecode } = compileToken();
  const { publicClient, wallet } = clientsFor(rpcUrl);
  const deployer = wallet(ANVIL_KEYS.deployer);
  const hash = await deployer.deployContract({
    abi,
    bytecode,
    args: [options.supply ?? parseUnits('1000000', decimals), decimals],
    chain: deployer.chain,
    account: deployer.account,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`the token was not deployed: ${receipt.status}`);
  return { address: receipt.contractAddress, abi };
}

/** Sends `amount` (the token's own units) of the token from one of the anvil keys; resolves once mined. */
export async function sendToken(
  rpcUrl: string,
  token: DeployedToken,
  from: Hex,
  to: Address,
  amount: bigint,
): Promise<{ hash: Hex; blockNumber: bigint }> {
  const { publicClient, wallet } = clientsFor(rpcUrl);
  const sender = wallet(from);
  const hash = await sender.writeContract({
    address: token.address,
    abi: token.abi,
    functionName: 'transfer',
    args: [to, amount],
    chain: sender.chain,
    account: sender.account,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return { hash, blockNumber: receipt.blockNumber };
}
