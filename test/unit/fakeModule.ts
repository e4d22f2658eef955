import Module from 'node:module';

/**
 * Makes `require(name)` return `exports` until the returned function is called: unit tests stand
 * in for `vscode`, which only exists inside VS Code's extension host.
 */
export function installFakeModule(name: string, label: string, exports: unknown): () => void {
  const id = `${name} (${label})`;
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === name ? id : original.call(this, request, ...rest);
  };
  require.cache[id] = { id, filename: id, loaded: true, exports } as NodeJS.Module;
  return () => {
    mod._resolveFilename = original;
    delete require.cache[id];
  };
}
