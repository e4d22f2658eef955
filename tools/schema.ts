/**
 * Writes schemas/bifrost.schema.json from the configuration rules (`npm run schema`). Run it after
 * changing a rule and commit the result: VS Code and the VSIX read the committed file, and a unit
 * test fails while it differs from what the rules generate.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { configSchemaText } from '../gateway/core/configSchema';
import { builtinDrivers } from '../gateway/drivers';

const file = path.resolve(__dirname, '..', 'schemas', 'bifrost.schema.json');
writeFileSync(file, configSchemaText(builtinDrivers()));
console.log(`wrote ${path.relative(process.cwd(), file)}`);
