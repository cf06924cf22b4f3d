#!/usr/bin/env node
// Installed, the package runs its compiled JavaScript (`dist/`). In its repository, where the TypeScript sources
// are, it runs them through tsx so that no build is needed while developing.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('../cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
