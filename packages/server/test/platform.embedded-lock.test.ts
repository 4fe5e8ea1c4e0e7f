import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, childEnv, type ProofChild, startProofServe } from './helpers/proof-child.ts';
import { ADMIN_TOKEN } from './helpers/test-platform.ts';

/** Runs `proof <args>` to its end and returns its exit code and output. */
function runProof(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => done({ code, output }));
  });
}

// Embedded mode only: with PostgreSQL there is no single-process database to guard.
describe.skipIf(process.env.PROOF_TEST_DB === 'postgres')('the embedded database lock', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'proof-lock-'));
  const env = { DATA_DIR: dataDir, ADMIN_TOKEN };
  const children: ProofChild[] = [];
  afterAll(async () => {
    for (const child of children) await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ignores a marker left by a dead server even when its PID is alive again (a restarted container)', async () => {
    // The marker names a live process (this test runner), as after a container restart that reused the PID.
    writeFileSync(join(dataDir, 'server.json'), JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:9' }));
    const first = await startProofServe(env);
    children.push(first);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    // The README's steps read $CLIENT_TOKEN: the banner says how to set it.
    expect(first.output()).toMatch(/export CLIENT_TOKEN=ct_[A-Za-z0-9]{32}\n/);
  });

  it('refuses a second server on the same data folder while the first runs, and the CLI finds the first', async () => {
    const second = await runProof(['serve'], { ...env, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.output).toContain('already uses the embedded database');
    const listed = await runProof(['partners', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.output)).toEqual(expect.any(Array));
  });

  it('after a SIGKILL, the next start takes over without a human', async () => {
    await children.pop()!.kill();
    const next = await startProofServe(env);
    children.push(next);
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
  });
});
