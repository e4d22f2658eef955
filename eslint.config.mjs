// Lint rules that keep the rooms apart: gateway/ never sees vscode or the DOM, webview/ never sees
// Node or vscode, and only gateway/protocol.ts is shared between the gateway and the extension.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'net', 'child_process', 'events', 'stream', 'util', 'crypto', 'http', 'https', 'worker_threads', 'readline', 'dgram', 'tty'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', '.cache/**', '.scratch/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The gateway runs outside VS Code: never import vscode.' }],
        patterns: [
          { group: ['**/extension/**', '**/webview/**'], message: 'The gateway shares only gateway/protocol.ts with the other rooms.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'window', message: 'No DOM in the gateway.' },
        { name: 'document', message: 'No DOM in the gateway.' }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Webviews run in a browser: talk to the extension through messages.' }],
        patterns: [
          { group: nodeBuiltins, message: 'Webviews run in a browser: no Node modules.' },
          { group: ['**/gateway/**', '**/extension/**'], message: 'Webviews share only webview/messages.ts.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'No Node globals in the webview.' },
        { name: 'require', message: 'No Node globals in the webview.' },
        { name: 'Buffer', message: 'No Node globals in the webview.' }],
    },
  },
  {
    files: ['extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/gateway/*', '!**/gateway/protocol'], message: 'The extension talks to the gateway only through gateway/protocol.ts.' },
          { group: ['**/webview/*', '!**/webview/messages', '!**/webview/inspectorMessages'], message: 'The extension shares only webview/messages.ts and webview/inspectorMessages.ts with the panels.' },
        ],
      }],
    },
  },
);
