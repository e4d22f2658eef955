/**
 * Passwords and certificates on the extension's side. A device of the in-memory test protocol
 * that checks credentials (`passwordSha256`) stands in for a server with a login: whether it
 * connects says which password the gateway got, without the password being logged or read back.
 * The trust prompt is handed a `bifrost/certificateUntrusted` notification the way the client
 * hands it one, since this gateway has no certificate store of its own yet.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { MessageKind, PromptAnswerer } from '../../extension/commands/prompts';
import type { CertificateInfo } from '../../gateway/protocol';
import { waitFor } from './waitFor';
import { describeTree, findDevice, getWorld, rigDevice, World, writeConfig } from './world';

const LOCKED = { id: 'locked', name: 'Locked Line', username: 'operator' } as const;
const PASSWORD = 'correct horse 42';
const NO_PASSWORD = 'no password set: use Bifrost: Set Password…';

function lockedDevice(username: string = LOCKED.username, literal?: string): Record<string, unknown> {
  return {
    id: LOCKED.id,
    name: LOCKED.name,
    protocol: 'memory',
    pollIntervalMs: 200,
    user: { type: 'username', username, ...(literal !== undefined ? { password: literal } : {}) },
    passwordSha256: createHash('sha256').update(PASSWORD).digest('hex'),
    nodes: { Line: { Speed: { type: 'number', value: 1 } } },
  };
}

interface Asked {
  inputs: vscode.InputBoxOptions[];
  notices: { kind: MessageKind; message: string }[];
  modals: { message: string; detail: string }[];
}

/** Types `passwords` into the input boxes in turn (undefined: Escape) and clicks `clicks` on notifications and dialogs in turn. */
function person(passwords: (string | undefined)[], clicks: (string | undefined)[] = []): { answerer: PromptAnswerer; asked: Asked } {
  const asked: Asked = { inputs: [], notices: [], modals: [] };
  return {
    asked,
    answerer: {
      inputBox: async (options) => {
        asked.inputs.push(options);
        return passwords.shift();
      },
      warning: async () => undefined,
      notify: async (kind, message) => {
        asked.notices.push({ kind, message });
        return kind === 'warning' ? clicks.shift() : undefined;
      },
      modal: async (_kind, message, detail) => {
        asked.modals.push({ message, detail });
        return clicks.shift();
      },
    },
  };
}

function tooltipText(item: vscode.TreeItem): string {
  const t = item.tooltip;
  return (typeof t === 'string' ? t : (t?.value ?? '')).replace(/\\(.)/g, '$1');
}

const SHA1 = '5e'.repeat(20);
const SERVER_CERTIFICATE: CertificateInfo = {
  thumbprint: SHA1,
  sha256: 'a7'.repeat(32),
  subject: 'CN=Locked Line Server, O=Test',
  issuer: 'CN=Locked Line Server, O=Test',
  validFrom: '2025-01-01T00:00:00.000Z',
  validTo: '2035-01-01T00:00:00.000Z',
  applicationUri: 'urn:test:locked',
  hosts: ['localhost'],
  pem: '-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n',
};

export function secretsSuite(): void {
  describe('Passwords in the secret storage, and the trust prompt', () => {
    let world: World;

    async function locked() {
      return waitFor(`${LOCKED.name} in the Tag Explorer`, () => findDevice(world.api, LOCKED.name), () => describeTree(world.api));
    }

    function waitForLocked(what: string, ok: (description: string) => boolean) {
      let seen = '';
      return waitFor(
        `${LOCKED.name} ${what}`,
        async () => {
          const d = await findDevice(world.api, LOCKED.name);
          seen = d?.description ?? '(not in the tree)';
          return d && ok(d.description) ? d : undefined;
        },
        () => seen,
      );
    }

    before(async () => {
      world = await getWorld();
    });

    afterEach(() => world.api.prompts.answerWith(undefined));

    after(async () => {
      if (!world) return;
      // Nothing stays in the secret storage of this profile.
      const d = await findDevice(world.api, LOCKED.name);
      if (d) await vscode.commands.executeCommand('bifrost.forgetPassword', d.node);
      world.api.prompts.answerWith(undefined);
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port)] }, null, 2));
      await waitFor(`${LOCKED.name} to leave the tree`, async () => ((await findDevice(world.api, LOCKED.name)) ? undefined : true), () => describeTree(world.api));
    });

    it('asks for a missing password on first connect; closed, the device says what to do, and a password in bifrost.json is marked and never sent', async () => {
      const { answerer, asked } = person([undefined]);
      world.api.prompts.answerWith(answerer);
      // The file's password is the right one: were it sent, the device would connect.
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port), lockedDevice(LOCKED.username, PASSWORD)] }, null, 2));
      await waitFor('the question for the password', () => (asked.inputs.length > 0 ? true : undefined), () => describeTree(world.api));
      const row = await waitForLocked(`to show "${NO_PASSWORD}"`, (d) => d === NO_PASSWORD);
      assert.equal(asked.inputs.length, 1, `asked ${asked.inputs.length} times`);
      const [input] = asked.inputs;
      assert.equal(input!.password, true, 'the password is typed into a masked box');
      assert.ok(input!.prompt?.includes(LOCKED.name) && input!.prompt.includes(`"${LOCKED.username}"`), `the question names neither the device nor the user: ${input!.prompt}`);

      const item = world.api.tree.getTreeItem(row.node);
      assert.match(item.contextValue ?? '', /^device.*\.password\b/, 'the row offers Set Password in its menu');
      const tooltip = tooltipText(await world.api.tree.resolveTreeItem(item, row.node));
      assert.ok(tooltip.includes(`login refused: no password for "${LOCKED.username}"`), `the gateway got a password: ${tooltip}`);

      const diagnostics = await waitFor('the literal password marked in bifrost.json', () => {
        const found = vscode.languages.getDiagnostics(world.config).filter((d) => d.source === 'bifrost' && d.message.startsWith('a password does not belong in bifrost.json'));
        return found.length > 0 ? found : undefined;
      });
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(world.config));
      assert.match(text.split('\n')[diagnostics[0]!.range.start.line]!, /"password": /);
      assert.equal(diagnostics[0]!.severity, vscode.DiagnosticSeverity.Warning);
    });

    it('Set Password… stores it; the gateway gets it and the device logs in; a changed one reconnects with it', async () => {
      const row = await locked();
      const { answerer, asked } = person([PASSWORD, 'not the password']);
      world.api.prompts.answerWith(answerer);
      await vscode.commands.executeCommand('bifrost.setPassword', row.node);
      await waitForLocked('connected with the stored password', (d) => d.startsWith('memory '));
      assert.ok(asked.notices.some((n) => n.kind === 'info' && n.message.includes('secret storage')), JSON.stringify(asked.notices));

      await vscode.commands.executeCommand('bifrost.setPassword', row.node);
      const wrong = await waitForLocked('refused with the wrong password', (d) => d.includes('wrong password'));
      assert.equal(wrong.description, `error: login refused: wrong password for "${LOCKED.username}"`);
      assert.equal(asked.inputs.length, 2);
    });

    it('Forget Password removes it: the device is sent without one and is not asked about again', async () => {
      const row = await locked();
      const { answerer, asked } = person([]);
      world.api.prompts.answerWith(answerer);
      await vscode.commands.executeCommand('bifrost.forgetPassword', row.node);
      // The row says so at once; the gateway's own word follows once the document is sent again.
      await waitForLocked(`to show "${NO_PASSWORD}"`, (d) => d === NO_PASSWORD);
      let tooltip = '';
      await waitFor(
        'the gateway to refuse the login for want of a password',
        async () => {
          tooltip = tooltipText(await world.api.tree.resolveTreeItem(world.api.tree.getTreeItem(row.node), row.node));
          return tooltip.includes(`login refused: no password for "${LOCKED.username}"`) ? true : undefined;
        },
        () => tooltip,
      );
      assert.equal((await findDevice(world.api, LOCKED.name))?.description, NO_PASSWORD);
      assert.equal(asked.inputs.length, 0, 'asked again for a password that was forgotten on purpose');
      assert.ok(asked.notices.some((n) => n.message.includes('is forgotten')), JSON.stringify(asked.notices));
    });

    it('a new login (another username) is asked for, and connects with the password typed', async () => {
      const { answerer, asked } = person([PASSWORD]);
      world.api.prompts.answerWith(answerer);
      await writeConfig(world, JSON.stringify({ devices: [rigDevice(world.rig.port), lockedDevice('supervisor')] }, null, 2));
      await waitForLocked('connected with the password typed', (d) => d.startsWith('memory '));
      assert.equal(asked.inputs.length, 1);
      assert.ok(asked.inputs[0]!.prompt?.includes('"supervisor"'), asked.inputs[0]!.prompt);
      // Back to no password, for the trust prompt below.
      await vscode.commands.executeCommand('bifrost.forgetPassword', (await locked()).node);
      await waitForLocked(`to show "${NO_PASSWORD}"`, (d) => d === NO_PASSWORD);
    });

    it('the trust prompt names the device and the server, comes once per certificate, and stays reachable from the device row', async () => {
      const { answerer, asked } = person([], [undefined, 'Show Details', 'Trust']);
      world.api.prompts.answerWith(answerer);
      const notification = { deviceId: LOCKED.id, certificate: SERVER_CERTIFICATE, reason: 'unknown' };
      world.api.certificates.untrusted.handle('local', notification);
      world.api.certificates.untrusted.handle('local', notification);
      const prompts = () => asked.notices.filter((n) => n.kind === 'warning');
      await waitFor('the trust prompt', () => (prompts().length > 0 ? true : undefined));
      assert.equal(prompts()[0]!.message, `${LOCKED.name}: the server's certificate is not trusted (unknown): Locked Line Server, self-signed`);

      const row = await waitFor('the row to offer Review Server Certificate…', async () => {
        const d = await locked();
        return /\.untrusted\b/.test(world.api.tree.getTreeItem(d.node).contextValue ?? '') ? d : undefined;
      });
      assert.equal(prompts().length, 1, 'prompted again for the same certificate');

      await vscode.commands.executeCommand('bifrost.reviewServerCertificate', row.node);
      assert.equal(prompts().length, 2, 'Review did not ask again');
      const page = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'bifrost-certificate');
      assert.ok(page, 'Show Details opened no page');
      assert.ok(page.getText().includes('A7:A7:A7') && page.getText().includes('urn:test:locked'), page.getText());
      assert.equal(asked.modals.length, 1, 'no decision after the details');
      assert.ok(asked.modals[0]!.detail.includes(`SHA-1: ${'5E:'.repeat(19)}5E`), asked.modals[0]!.detail);
      // The certificate is made up: the gateway's store never met it, refuses, and the refusal is told.
      const failure = await waitFor('the answer to Trust', () => asked.notices.find((n) => n.kind === 'error'));
      assert.match(failure.message, /no certificate with thumbprint 5e5e/i);
    });
  });
}
