// `npm run schemas`: writes the request methods' JSON Schemas and the README's method table from the declarations.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { requestSchemasJson, SCHEMAS_FILE, withCurrentTable } from './request-docs.ts';

mkdirSync(dirname(SCHEMAS_FILE), { recursive: true });
writeFileSync(SCHEMAS_FILE, await requestSchemasJson());
writeFileSync('README.md', await withCurrentTable(readFileSync('README.md', 'utf8')));
console.log(`wrote ${SCHEMAS_FILE} and the method table of README.md`);
