import { parseArgs } from 'node:util';
import { addToken, readTokens, removeToken, type Access } from './tokens';

const USAGE =
  'usage: node gateway.js token add NAME (--read-only | --read-write | --metrics) --tokens FILE\n' +
  '       node gateway.js token list --tokens FILE\n' +
  '       node gateway.js token remove NAME --tokens FILE\n' +
  'add prints the new token once (on stdout); the file keeps only its SHA-256 hash.\n';

/**
 * `token add|list|remove`: manages the tokens file of the WebSocket listener. No JSON-RPC runs in
 * this mode, so the new token is printed on stdout, where a script can take it.
 * Answers the process's exit code.
 */
export function runTokenCommand(args: string[], out: (s: string) => void, err: (s: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { tokens: { type: 'string' }, 'read-only': { type: 'boolean' }, 'read-write': { type: 'boolean' }, metrics: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    err(`[error] ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    err(USAGE);
    return 0;
  }
  const [command, name, ...rest] = positionals;
  const file = values.tokens;
  if (!file) {
    err(`[error] token ${command ?? ''}: --tokens FILE is required\n${USAGE}`);
    return 2;
  }
  try {
    switch (command) {
      case 'add': {
        if (!name || rest.length) break;
        const chosen = (['read-only', 'read-write', 'metrics'] as const).filter((a) => values[a]);
        if (chosen.length !== 1) {
          err('[error] token add: give exactly one of --read-only, --read-write or --metrics (a token that may only GET /metrics and /health)\n');
          return 2;
        }
        const access: Access = chosen[0]!;
        const token = addToken(file, name, access);
        err(`token "${name}" (${access}) added to ${file}; it is shown only this once:\n`);
        out(`${token}\n`);
        return 0;
      }
      case 'list': {
        if (name) break;
        for (const e of readTokens(file, true)) out(`${e.name}\t${e.access}\t${e.created}\n`);
        return 0;
      }
      case 'remove': {
        if (!name || rest.length) break;
        removeToken(file, name);
        err(`token "${name}" removed from ${file}\n`);
        return 0;
      }
    }
  } catch (e) {
    err(`[error] ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  err(USAGE);
  return 2;
}
