/**
 * The WebSocket listener's rules that need no socket: token hashes and their check, the request
 * rate, and what the command line accepts.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { TokenBucket } from '../../gateway/ws/rateLimit';
import { isLoopback, listenOptionsFrom, UsageError } from '../../gateway/ws/options';
import { addToken, hashToken, readTokens, removeToken, verifyToken } from '../../gateway/ws/tokens';
import { isMutating } from '../../gateway/ws/readOnly';

describe('WebSocket access rules', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'bifrost-wsunit-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stores the SHA-256 of a token and finds its owner by it, and no one for another token', () => {
    const file = path.join(dir, 'tokens.json');
    const ro = addToken(file, 'panel', 'read-only', new Date('2026-01-02T03:04:05Z'));
    const rw = addToken(file, 'scada', 'read-write');
    const entries = readTokens(file);
    assert.equal(entries[0]!.hash, createHash('sha256').update(ro).digest('hex'));
    assert.equal(entries[0]!.created, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(verifyToken(entries, ro), { name: 'panel', access: 'read-only' });
    assert.deepEqual(verifyToken(entries, rw), { name: 'scada', access: 'read-write' });
    assert.equal(verifyToken(entries, ro.slice(0, -1) + (ro.endsWith('A') ? 'B' : 'A')), null);
    assert.equal(verifyToken(entries, ''), null);
    assert.equal(hashToken(ro), entries[0]!.hash);
    removeToken(file, 'panel');
    assert.equal(verifyToken(readTokens(file), ro), null);
    assert.throws(() => removeToken(file, 'panel'), /no token named "panel"/);
    assert.throws(() => addToken(file, 'bad name', 'read-only'), /must be 1-64 letters/);
  });

  it('keeps metrics tokens in the same file, beside the entries of older files', () => {
    const file = path.join(dir, 'mixed.json');
    // A file written before metrics tokens existed reads as it did.
    writeFileSync(file, JSON.stringify([{ name: 'old', hash: hashToken('old-token'), access: 'read-write', created: '2025-01-01T00:00:00.000Z' }]));
    const scrape = addToken(file, 'prometheus', 'metrics');
    const entries = readTokens(file);
    assert.deepEqual(entries.map((e) => [e.name, e.access]), [['old', 'read-write'], ['prometheus', 'metrics']]);
    assert.deepEqual(verifyToken(entries, scrape), { name: 'prometheus', access: 'metrics' });
    assert.deepEqual(verifyToken(entries, 'old-token'), { name: 'old', access: 'read-write' });
    writeFileSync(file, JSON.stringify([{ name: 'x', hash: hashToken('x'), access: 'admin' }]));
    assert.throws(() => readTokens(file), /"access" \("read-only", "read-write" or "metrics"\)/);
  });

  it('refuses a tokens file that is not a list of entries, saying which entry', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify([{ name: 'x', hash: 'abc', access: 'read-only' }]));
    assert.throws(() => readTokens(file), /entry 0 must have .*"hash" \(64 hex digits/);
    writeFileSync(file, '{}');
    assert.throws(() => readTokens(file), /must hold a JSON array/);
  });

  it('serves a burst, then the rate, and refuses what is over it', () => {
    const bucket = new TokenBucket(200, 400, 0);
    let served = 0;
    for (let i = 0; i < 1000; i++) if (bucket.take(0)) served++;
    assert.equal(served, 400);
    assert.equal(bucket.take(1), false, '1 ms gives 0.2 of a request');
    assert.equal(bucket.take(5), true, '5 ms give one');
    let later = 0;
    for (let i = 0; i < 1000; i++) if (bucket.take(1005)) later++;
    assert.equal(later, 200, 'one second later: 200 more, not more than the burst');
  });

  it('names the mutating methods, and only those', () => {
    for (const m of ['bifrost/tags/write', 'bifrost/call', 'bifrost/config/load', 'bifrost/certificates/trust', 'bifrost/certificates/reject', 'bifrost/certificates/remove', 'bifrost/demo/start', 'bifrost/demo/stop', 'bifrost/demo/mute']) assert.ok(isMutating(m), m);
    for (const m of ['bifrost/tags/read', 'bifrost/subscribe', 'bifrost/unsubscribe', 'bifrost/browse', 'bifrost/discover', 'bifrost/certificates/list', 'bifrost/ping']) assert.ok(!isMutating(m), m);
  });

  it('takes --listen HOST:PORT on loopback, and refuses other addresses without TLS, or no tokens', () => {
    const file = path.join(dir, 'listen.json');
    writeFileSync(file, '[]');
    assert.equal(listenOptionsFrom(['--stdio']), null);
    const o = listenOptionsFrom(['--listen', '127.0.0.1:0', '--tokens', file, '--allow-origin', 'https://hmi.example.com:8443'])!;
    assert.deepEqual([o.host, o.port, o.tls, o.allowedOrigins], ['127.0.0.1', 0, null, ['https://hmi.example.com:8443']]);
    assert.equal(listenOptionsFrom(['--listen', '[::1]:9000', '--tokens', file])!.host, '::1');
    assert.throws(() => listenOptionsFrom(['--listen', '127.0.0.1:0']), (e: unknown) => e instanceof UsageError && /needs --tokens/.test(e.message));
    assert.throws(() => listenOptionsFrom(['--listen', '0.0.0.0:8765', '--tokens', file]), /reachable from other machines; serving it needs TLS/);
    assert.throws(() => listenOptionsFrom(['--listen', '10.0.0.5:8765', '--tokens', file]), /needs TLS/);
    assert.throws(() => listenOptionsFrom(['--listen', '127.0.0.1', '--tokens', file]), /must be HOST:PORT/);
    assert.throws(() => listenOptionsFrom(['--listen', '127.0.0.1:70000', '--tokens', file]), /must be HOST:PORT/);
    assert.throws(() => listenOptionsFrom(['--listen', '127.0.0.1:1', '--tokens', path.join(dir, 'missing.json')]), /cannot read the tokens file/);
    assert.throws(() => listenOptionsFrom(['--listen', '127.0.0.1:1', '--tokens', file, '--tls-cert', file]), /needs both --tls-cert FILE and --tls-key FILE/);
    assert.throws(() => listenOptionsFrom(['--listen', '127.0.0.1:1', '--tokens', file, '--allow-origin', 'https://x.example/app']), /no path/);
    assert.throws(() => listenOptionsFrom(['--tokens', file]), /--tokens is an option of --listen/);
    assert.deepEqual(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '0.0.0.0', '10.0.0.1', '::', 'example.com'].map(isLoopback), [true, true, true, true, false, false, false, false]);
  });
});
