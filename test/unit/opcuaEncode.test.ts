import { strict as assert } from 'node:assert';
import { DataType, VariantArrayType } from 'node-opcua-client';
import { encodeForTarget, valueKindOf, writeSpecOfTarget, type EncodeTarget } from '../../gateway/opcua/encode';
import { float32ToNumber, int64ToTagValue } from '../../gateway/opcua/values';
import { ErrorCodes, type TagValue } from '../../gateway/protocol';

const target = (dataType: string, valueRank = -1, extra: Partial<EncodeTarget> = {}): EncodeTarget => ({ subject: 'ns=2;s=X', dataType, dataTypeId: 'i=1', valueRank, ...extra });

async function refusal(t: EncodeTarget, value: TagValue): Promise<string> {
  try {
    await encodeForTarget(t, value);
  } catch (err) {
    assert.equal((err as { code?: number }).code, ErrorCodes.BadValue);
    return (err as Error).message;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

describe('OPC UA value encoding', () => {
  it('encodes integers exactly, 64-bit ones as [high, low] words, and answers them as numbers or decimal strings', async () => {
    const max = await encodeForTarget(target('UInt64'), '18446744073709551615');
    assert.deepEqual(max.variant.value, [0xffffffff, 0xffffffff]);
    assert.equal(max.written, '18446744073709551615');
    const minus = await encodeForTarget(target('Int64'), -5);
    assert.deepEqual(minus.variant.value, [0xffffffff, 0xfffffffb]);
    assert.equal(minus.written, -5);
    assert.equal((await encodeForTarget(target('Int16'), ' -32768 ')).written, -32768);
    assert.equal(int64ToTagValue([0x1fffff, 0xffffffff], true), 9007199254740991);
    assert.equal(int64ToTagValue([0x200000, 0], true), '9007199254740992');
    assert.equal(int64ToTagValue([0x200000, 1], true), '9007199254740993');
    assert.equal(int64ToTagValue([0xffe00000, 1], true), -9007199254740991);
    assert.equal(int64ToTagValue([0xffdfffff, 0xffffffff], true), '-9007199254740993');
  });

  it('stores the nearest float32 for a Float and answers its shortest form', async () => {
    const e = await encodeForTarget(target('Float'), 0.1);
    assert.equal(e.variant.value, Math.fround(0.1));
    assert.equal(e.written, 0.1);
    assert.equal((await encodeForTarget(target('Float'), 16777217)).written, 16777216);
    assert.equal(float32ToNumber(Math.fround(3.4028234663852886e38)), 3.4028235e38);
    assert.equal(float32ToNumber(Math.fround(1 / 3)), 0.33333334);
    assert.match(await refusal(target('Float'), 3.5e38), /out of range for Float/);
    assert.match(await refusal(target('Float'), 1e-46), /too small for Float/);
  });

  it('names the target, its type and why in every refusal', async () => {
    assert.equal(await refusal(target('Int16'), 40000), 'cannot write 40000 to ns=2;s=X (Int16): out of range for Int16 (-32768..32767)');
    assert.equal(await refusal(target('UInt32'), 2.5), 'cannot write 2.5 to ns=2;s=X (UInt32): not a whole number; UInt32 holds whole numbers');
    assert.equal(await refusal(target('Int64'), '1e3'), 'cannot write "1e3" to ns=2;s=X (Int64): expected an integer (a number or a decimal string) for Int64, got the string "1e3"');
    assert.equal(await refusal(target('Double'), true), 'cannot write true to ns=2;s=X (Double): expected a number, got boolean true');
    assert.equal(await refusal(target('Double', 1, { arrayDimensions: [2] }), [1, 2, 3]), 'cannot write [1,2,3] to ns=2;s=X (Double): at most 2 elements fit, got 3');
    assert.match(await refusal(target('Double', 2), [[1]]), /it is a 2-dimensional array; only one-dimensional arrays can be written$/);
    assert.match(await refusal(target('Duration', -1, { builtInType: 'Double' }), 'x'), /\(Duration\): expected a number/);
    assert.match(await refusal(target('ByteString'), 'AAE'), /not base64/);
    assert.match(await refusal(target('DateTime'), '2026-02-30T00:00:00Z'), /not a valid date \(no such day or time\)$/);
    assert.match(await refusal(target('DateTime'), '2026-01-01T24:00:00Z'), /not a valid date/);
    assert.match(await refusal(target('ExtensionObject', -1, { dataType: 'Range', builtInType: 'ExtensionObject' }), { low: 1 }), /there is no session/);
  });

  it('encodes the other built-in types', async () => {
    const date = await encodeForTarget(target('DateTime'), '2026-12-01T11:00:00+01:00');
    assert.equal((date.variant.value as Date).toISOString(), '2026-12-01T10:00:00.000Z');
    assert.equal(date.written, '2026-12-01T10:00:00.000Z');
    assert.equal((await encodeForTarget(target('DateTime'), 0)).written, '1970-01-01T00:00:00.000Z');
    assert.equal((await encodeForTarget(target('ByteString'), 'AAEC')).written, 'AAEC');
    assert.equal((await encodeForTarget(target('QualifiedName'), '2:Level')).written, '2:Level');
    assert.equal((await encodeForTarget(target('LocalizedText'), { text: 'Hallo', locale: 'de' })).written, 'Hallo');
    assert.equal((await encodeForTarget(target('NodeId'), 'ns=0;i=85')).written, 'i=85');
    assert.equal((await encodeForTarget(target('StatusCode'), 'BadOutOfRange')).written, 'BadOutOfRange');
    const arr = await encodeForTarget(target('Boolean', 1), [true, 0]);
    assert.equal(arr.variant.arrayType, VariantArrayType.Array);
    assert.deepEqual(arr.written, [true, false]);
    const any = await encodeForTarget(target('BaseDataType', -2, { builtInType: 'Variant' }), 'text');
    assert.equal(any.variant.dataType, DataType.String);
  });

  it('gives the write spec and value kind by type', () => {
    assert.deepEqual(writeSpecOfTarget(target('Int64')), { kind: 'integer', min: '-9223372036854775808', max: '9223372036854775807' });
    assert.deepEqual(writeSpecOfTarget(target('Float')), { kind: 'number', min: -3.4028234663852886e38, max: 3.4028234663852886e38 });
    assert.deepEqual(writeSpecOfTarget(target('Boolean')), { kind: 'boolean' });
    assert.deepEqual(writeSpecOfTarget(target('Guid')), { kind: 'string' });
    assert.deepEqual(writeSpecOfTarget(target('Double', 1)), { kind: 'json' });
    assert.deepEqual(writeSpecOfTarget(target('Mode', -1, { enumValues: [{ value: 1, label: 'On' }] })), { kind: 'enum', values: [{ value: 1, label: 'On' }] });
    assert.equal(valueKindOf(target('UInt64')), 'integer');
    assert.equal(valueKindOf(target('Range', -1, { builtInType: 'ExtensionObject' })), 'structure');
    assert.equal(valueKindOf(target('Double', 1)), 'array');
    assert.equal(valueKindOf(target('LocalizedText')), 'string');
  });
});
