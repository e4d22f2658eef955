/**
 * Writes the JSON Schemas of bifrost.json from the configuration rules (`npm run schema`): the
 * full one (schemas/bifrost.schema.json, for other editors and tools) and the editor's one that
 * VS Code reads (schemas/bifrost.editor.schema.json: completion and hovers, no checks; the
 * gateway's problems are the diagnostics). Run it after changing a rule and commit the result:
 * a unit test fails while either differs from what the rules generate.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { configSchemaText, editorSchemaText } from '../gateway/core/configSchema';
import { builtinDrivers } from '../gateway/drivers';

const dir = path.resolve(__dirname, '..', 'schemas');
for (const [name, text] of [
  ['bifrost.schema.json', configSchemaText(builtinDrivers())],
  ['bifrost.editor.schema.json', editorSchemaText(builtinDrivers())],
] as const) {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
