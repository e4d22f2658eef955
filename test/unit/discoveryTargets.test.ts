import { strict as assert } from 'node:assert';
import { BifrostError } from '../../gateway/errors';
import { ErrorCodes } from '../../gateway/protocol';
import {
  CONFIRM_ABOVE_HOSTS,
  MAX_HOSTS,
  countTargets,
  expandTargets,
  parsePorts,
  parseTargets,
  parseUnitIds,
} from '../../gateway/discovery/targets';

async function addresses(targets: unknown, lookup?: (name: string) => Promise<string[]>): Promise<string[]> {
  return (await expandTargets(targets, lookup ? { lookup } : {})).map((t) => t.address);
}

/** Asserts an InvalidParams BifrostError whose message contains every fragment. */
function refusal(...fragments: string[]): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof BifrostError, `expected a BifrostError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.InvalidParams);
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" does not mention ${JSON.stringify(f)}`);
    return true;
  };
}

const noLookup = async (name: string): Promise<string[]> => {
  throw new Error(`no lookup expected, asked for ${name}`);
};

describe('discovery targets', () => {
  describe('forms', () => {
    it('takes a single IPv4 address, trimmed', async () => {
      assert.deepEqual(await expandTargets([' 10.0.0.5 ']), [{ address: '10.0.0.5', family: 4, entry: '10.0.0.5' }]);
      assert.deepEqual(await addresses(['0.0.0.0', '255.255.255.255']), ['0.0.0.0', '255.255.255.255']);
    });

    it('expands a CIDR up to /30 without its network and broadcast addresses', async () => {
      const block = await addresses(['192.168.1.0/24']);
      assert.equal(block.length, 254);
      assert.equal(block[0], '192.168.1.1');
      assert.equal(block[253], '192.168.1.254');
      assert.deepEqual(await addresses(['10.0.0.4/30']), ['10.0.0.5', '10.0.0.6']);
      // A /23 crosses an octet: the .255 and .0 in the middle are ordinary hosts.
      const wide = await addresses(['10.1.0.0/23']);
      assert.equal(wide.length, 510);
      assert.ok(wide.includes('10.1.0.255') && wide.includes('10.1.1.0'));
      assert.equal(wide[509], '10.1.1.254');
    });

    it('takes /31 and /32 as they are', async () => {
      assert.deepEqual(await addresses(['10.0.0.6/31']), ['10.0.0.6', '10.0.0.7']);
      assert.deepEqual(await addresses(['10.0.0.9/32']), ['10.0.0.9']);
    });

    it('ignores host bits in a CIDR', async () => {
      assert.deepEqual(await addresses(['10.0.0.7/30']), ['10.0.0.5', '10.0.0.6']);
      assert.equal((await addresses(['192.168.1.77/24']))[0], '192.168.1.1');
    });

    it('expands a last-octet range, both ends included', async () => {
      const r = await addresses(['10.0.0.5-40']);
      assert.equal(r.length, 36);
      assert.equal(r[0], '10.0.0.5');
      assert.equal(r[35], '10.0.0.40');
      assert.deepEqual(await addresses(['10.0.0.7-7']), ['10.0.0.7']);
    });

    it('expands a full range across octets', async () => {
      const r = await addresses(['10.0.0.250-10.0.1.2']);
      assert.deepEqual(r, ['10.0.0.250', '10.0.0.251', '10.0.0.252', '10.0.0.253', '10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1', '10.0.1.2']);
      assert.equal((await addresses(['10.0.0.5-10.0.1.7'])).length, 251 + 8);
    });

    it('takes IPv6 literals as single hosts, in canonical form, brackets optional', async () => {
      assert.deepEqual(await expandTargets(['::1', '[2001:DB8:0:0::1]', 'fe80::1%eth0']), [
        { address: '::1', family: 6, entry: '::1' },
        { address: '2001:db8::1', family: 6, entry: '[2001:DB8:0:0::1]' },
        { address: 'fe80::1%eth0', family: 6, entry: 'fe80::1%eth0' },
      ]);
    });

    it('resolves a host name to its IPv4 addresses (localhost through dns.lookup)', async () => {
      const found = await expandTargets(['localhost']);
      assert.ok(found.length >= 1);
      assert.ok(found.some((t) => t.address === '127.0.0.1'), `localhost gave ${JSON.stringify(found)}`);
      assert.ok(found.every((t) => t.family === 4 && t.entry === 'localhost'));
    });

    it('refuses an unknown host name, naming it (real lookup of a reserved .invalid name)', async () => {
      await assert.rejects(expandTargets(['10.0.0.1', 'no-such-plc.invalid']), refusal('"no-such-plc.invalid"', 'was not found'));
    });

    it('with `unresolved`, tells an unknown host name and goes on with the rest', async () => {
      const told: [string, string][] = [];
      const lookup = async (name: string) => (name === 'plc-1.example' ? ['10.0.0.7'] : []);
      const found = await expandTargets(['10.0.0.1', 'plc-2.example', 'plc-1.example'], { lookup, unresolved: (entry, message) => told.push([entry, message]) });
      assert.deepEqual(found.map((t) => t.address), ['10.0.0.1', '10.0.0.7']);
      assert.equal(told.length, 1);
      assert.equal(told[0]![0], 'plc-2.example');
      assert.match(told[0]![1], /"plc-2\.example" was not found/);
      // A list that is wrong in itself is still refused.
      await assert.rejects(expandTargets(['10.0.0.300', 'plc-2.example'], { lookup, unresolved: () => undefined }), /10\.0\.0\.300/);
    });

    it('reports other lookup failures with their reason', async () => {
      const failing = async () => {
        throw Object.assign(new Error('getaddrinfo EAI_AGAIN plc.example'), { code: 'EAI_AGAIN' });
      };
      await assert.rejects(expandTargets(['plc.example'], { lookup: failing }), refusal('"plc.example"', 'could not be resolved', 'EAI_AGAIN'));
      await assert.rejects(expandTargets(['plc.example'], { lookup: async () => [] }), refusal('"plc.example"', 'was not found'));
    });

    it('stops waiting for host names on abort', async () => {
      const abort = new AbortController();
      let release!: () => void;
      const slow = () => new Promise<string[]>((resolve) => (release = () => resolve(['10.0.0.1'])));
      const pending = expandTargets(['plc.example'], { lookup: slow, signal: abort.signal });
      abort.abort();
      await assert.rejects(pending, (err: unknown) => err instanceof BifrostError && err.code === ErrorCodes.RequestCancelled);
      release();
    });
  });

  describe('dedupe and order', () => {
    it('keeps the order given and lists each host once, the first mention winning', async () => {
      const found = await expandTargets(['10.0.0.9', '10.0.0.5-10', '10.0.0.0/29', '10.0.0.9', 'plc', '10.0.0.200'], {
        lookup: async () => ['10.0.0.6', '10.0.0.100'],
      });
      assert.deepEqual(found.map((t) => t.address), ['10.0.0.9', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8', '10.0.0.10', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.100', '10.0.0.200']);
      assert.equal(found[0]!.entry, '10.0.0.9');
      assert.equal(found[1]!.entry, '10.0.0.5-10');
      assert.equal(found[6]!.entry, '10.0.0.0/29');
      assert.equal(found[10]!.entry, 'plc');
    });

    it('dedupes IPv6 spellings and repeated host names', async () => {
      let lookups = 0;
      const lookup = async () => {
        lookups++;
        return ['192.0.2.1'];
      };
      assert.deepEqual(await addresses(['2001:db8::1', '2001:DB8:0000::1', 'PLC', 'plc'], lookup), ['2001:db8::1', '192.0.2.1']);
      assert.equal(lookups, 2);
    });

    it('expands a large block given many times at the cost of one', async () => {
      const t0 = Date.now();
      const found = await expandTargets(Array.from({ length: 2000 }, () => '10.9.0.0/16'));
      assert.equal(found.length, 65_534);
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    });
  });

  describe('errors', () => {
    const cases: Array<[unknown, string[]]> = [
      ['10.0.0.1', ['targets must be an array of strings', 'got "10.0.0.1"']],
      [undefined, ['targets must be an array', 'got a value of type undefined']],
      [{ hosts: [] }, ['targets must be an array', 'got a value of type object']],
      [[], ['targets is empty']],
      [[42], ['targets[0] is 42: expected a string']],
      [['10.0.0.1', null], ['targets[1] is null']],
      [['  '], ['targets[0] is empty']],
      [['10.0.0.256'], ['targets[0] "10.0.0.256"', 'an octet 256 is above 255']],
      [['10.0.0'], ['"10.0.0"', '4 octets', 'has 3']],
      [['10.0.0.1.2'], ['has 5']],
      [['10.0..1'], ['an octet is missing']],
      [['10.0.0.05'], ['"05" has a leading zero', 'write 5']],
      [['192.168.1.0/33'], ['prefix /33 is above 32']],
      [['192.168.1.0/'], ['the prefix after "/" must be a whole number from 0 to 32, got ""']],
      [['192.168.1.0/2.4'], ['the prefix after "/"', 'got "2.4"']],
      [['192.168.1.0/24/8'], ['a CIDR has one "/"']],
      [['300.168.1.0/24'], ['an octet 300 is above 255']],
      [['10.0.0.5-4'], ['the range end 10.0.0.4 is before its start 10.0.0.5']],
      [['10.0.1.5-10.0.0.9'], ['the range end 10.0.0.9 is before its start 10.0.1.5']],
      [['10.0.0.5-256'], ['the range end 256 is above 255']],
      [['10.0.0.5-'], ['the range end is missing']],
      [['10.0.0.5-10.0.1'], ['"10.0.1" has 3']],
      [['10.0.0.5-10-20'], ['a range has one "-"']],
      [['10.0.0.0/24-30'], ['either a CIDR', 'or a range']],
      [['-5'], ['targets[0] "-5": an address is missing']],
      [['2001:db8::/32'], ['IPv6 prefixes are not scanned']],
      [['2001:db8:::1'], ['"2001:db8:::1" is not a valid IPv6 address']],
      [['plc 7'], ['targets[0] "plc 7" is not an IPv4 address']],
      [['-plc.local'], ['is not an IPv4 address']],
      [[`${'a'.repeat(64)}.local`], ['is not an IPv4 address']],
      [['10.0.0.0/15'], ['targets hold 131,070 hosts', 'at most 65,536 (a /16)']],
      [['0.0.0.0/0'], ['targets hold 4,294,967,294 hosts']],
    ];
    for (const [targets, fragments] of cases) {
      it(`refuses ${JSON.stringify(targets)}`, async () => {
        assert.throws(() => parseTargets(targets), refusal(...fragments));
        await assert.rejects(expandTargets(targets, { lookup: noLookup }), refusal(...fragments));
      });
    }

    it('takes exactly 65,536 hosts and refuses one more', async () => {
      // A /16 is 65,534 hosts; two more fill the limit.
      const full = ['10.0.0.0/16', '10.1.0.1', '10.1.0.2'];
      assert.equal(countTargets(full), MAX_HOSTS);
      assert.equal((await expandTargets(full)).length, MAX_HOSTS);
      assert.throws(() => parseTargets([...full, '10.1.0.3']), refusal('65,537 hosts'));
      // Overlaps do not count twice.
      assert.equal((await expandTargets([...full, '10.0.0.0/17', '10.0.200.0-10.0.210.7'])).length, MAX_HOSTS);
    });

    it('refuses a list that passes the limit once host names are resolved', async () => {
      const lookup = async () => ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
      // Before resolution the name counts as one host: 65,536 in all.
      const targets = ['10.0.0.0/16', '10.1.0.1', 'plc'];
      assert.doesNotThrow(() => parseTargets(targets));
      await assert.rejects(expandTargets(targets, { lookup }), refusal('65,538 hosts once the host names are resolved'));
    });

    it('refuses more entries than hosts it could ever take', () => {
      assert.throws(() => parseTargets(Array.from({ length: MAX_HOSTS + 1 }, () => '10.0.0.1')), refusal('65537 entries'));
    });
  });

  describe('countTargets', () => {
    it('counts distinct hosts without expanding, host names as one each', () => {
      assert.equal(countTargets(['10.0.0.5']), 1);
      assert.equal(countTargets(['192.168.1.0/24']), 254);
      assert.equal(countTargets(['192.168.0.0/22']), CONFIRM_ABOVE_HOSTS - 2);
      assert.equal(countTargets(['192.168.0.0/21']), 2046);
      assert.equal(countTargets(['10.0.0.5-40', '10.0.0.30-50', '10.0.0.7']), 46);
      assert.equal(countTargets(['10.0.0.6/31', '10.0.0.9/32', '::1', '0:0::1', 'plc', 'PLC.', 'other']), 6);
    });

    it('counts beyond the scan limit (so the UI can say by how much) and refuses bad input', () => {
      assert.equal(countTargets(['0.0.0.0/0']), 2 ** 32 - 2);
      assert.equal(countTargets(['0.0.0.0-255.255.255.255']), 2 ** 32);
      assert.throws(() => countTargets('10.0.0.1'), refusal('targets must be an array'));
      assert.throws(() => countTargets([]), refusal('targets is empty'));
      assert.throws(() => countTargets(['10.0.0.300']), refusal('targets[0]', 'above 255'));
    });
  });

  describe('ports', () => {
    it('defaults to 502 and keeps the order given, each once', () => {
      assert.deepEqual(parsePorts(undefined), [502]);
      assert.deepEqual(parsePorts([5020, 502, 5020, 1, 65535]), [5020, 502, 1, 65535]);
    });

    it('refuses what is not a list of TCP ports', () => {
      assert.throws(() => parsePorts(502), refusal('ports must be an array of integers from 1 to 65535', 'got 502'));
      assert.throws(() => parsePorts([]), refusal('ports is empty', 'leave it out for [502]'));
      assert.throws(() => parsePorts([502, 0]), refusal('ports[1] is 0: a TCP port is an integer from 1 to 65535'));
      assert.throws(() => parsePorts([65536]), refusal('ports[0] is 65536'));
      assert.throws(() => parsePorts([502.5]), refusal('ports[0] is 502.5'));
      assert.throws(() => parsePorts(['502']), refusal('ports[0] is "502"'));
      assert.throws(() => parsePorts(null), refusal('got null'));
    });
  });

  describe('unit ids', () => {
    it('defaults to 1, 255, 0 and keeps the order given, each once', () => {
      assert.deepEqual(parseUnitIds(undefined), [1, 255, 0]);
      assert.deepEqual(parseUnitIds([0, 17, 0, 255]), [0, 17, 255]);
    });

    it('sweeps 1-247 for "all"', () => {
      const all = parseUnitIds('all');
      assert.equal(all.length, 247);
      assert.equal(all[0], 1);
      assert.equal(all[246], 247);
    });

    it('refuses what is not a list of unit ids or "all"', () => {
      assert.throws(() => parseUnitIds('ALL'), refusal('unitIds must be an array of unit ids (0-255) or "all" (1-247); got "ALL"'));
      assert.throws(() => parseUnitIds(true), refusal('unitIds must be an array of integers from 0 to 255', 'got true'));
      assert.throws(() => parseUnitIds([]), refusal('unitIds is empty', 'leave it out for [1, 255, 0]'));
      assert.throws(() => parseUnitIds([1, 256]), refusal('unitIds[1] is 256: a unit id is an integer from 0 to 255'));
      assert.throws(() => parseUnitIds([-1]), refusal('unitIds[0] is -1'));
      assert.throws(() => parseUnitIds([NaN]), refusal('unitIds[0] is NaN'));
    });
  });
});
