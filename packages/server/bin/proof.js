#!/usr/bin/env node
// The `proof` command. Node 24 runs the TypeScript sources directly (type stripping); an older
// `node` on PATH hands over to the Node 24 the project installs (npm scripts and npx use it anyway).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import('../src/main.ts');
} else {
  const local = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    console.error(`proof needs Node.js 24 or newer (this is ${process.version}); run "npm install" first, then use npm start / npx proof.`);
    process.exit(1);
  }
  const result = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
