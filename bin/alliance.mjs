#!/usr/bin/env node
// Entry point of `npx alliance`. The CLI is TypeScript, run through tsx's loader (a devDependency)
// so it works on a fresh clone after `npm install` with no build step. tsImport scopes the loader
// to this import instead of registering it for the whole process.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./alliance.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
