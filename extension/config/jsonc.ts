// jsonc-parser's default (UMD) build loads its parts through a `require` the bundler cannot see,
// so the bundle would fail at run time; its ES module build bundles cleanly.
export * from 'jsonc-parser/lib/esm/main';
