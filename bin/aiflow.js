#!/usr/bin/env node
// The CLI is TypeScript run through tsx, the same loader that runs users' workflow modules.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
