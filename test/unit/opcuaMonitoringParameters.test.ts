import { strict as assert } from 'node:assert';
import { DataChangeTrigger, DeadbandType, StatusCodes } from 'node-opcua-client';
import { isTooManyOperations } from '../../gateway/opcua/monitoredItemCalls';
import { hasDeadband, isDeadbandRefusal, itemParameters, parametersSignature, toMonitoringParameters } from '../../gateway/opcua/monitoringParameters';

describe('OPC UA monitoring parameters', () => {
  const tag = { samplingIntervalMs: 250, queueSize: 1 };

  it('asks for changes only, with the deadband of the tag', () => {
    assert.deepEqual(itemParameters(tag, 500, true), { samplingIntervalMs: 250, queueSize: 1, filter: null });
    const abs = itemParameters({ ...tag, deadband: { type: 'absolute', value: 0.5 } }, 500, true);
    assert.deepEqual(abs.filter, { trigger: DataChangeTrigger.StatusValue, deadbandType: DeadbandType.Absolute, deadbandValue: 0.5 });
    const pct = itemParameters({ ...tag, deadband: { type: 'percent', value: 10 } }, 500, true);
    assert.equal(pct.filter?.deadbandType, DeadbandType.Percent);
    assert.ok(hasDeadband(pct));
    assert.equal(itemParameters({ ...tag, deadband: { type: 'percent', value: 10 } }, 500, true, true).filter, null, 'the fallback asks for no deadband');
  });

  it('asks for every sample, without deadband, when onChangeOnly is false', () => {
    const p = itemParameters({ ...tag, deadband: { type: 'absolute', value: 5 } }, 500, false);
    assert.deepEqual(p.filter, { trigger: DataChangeTrigger.StatusValueTimestamp, deadbandType: DeadbandType.None, deadbandValue: 0 });
    assert.ok(!hasDeadband(p));
  });

  it('falls back to the publishing interval and a queue of one for values that make no sense', () => {
    assert.deepEqual(itemParameters({ samplingIntervalMs: Number.NaN, queueSize: 0 }, 500, true), { samplingIntervalMs: 500, queueSize: 1, filter: null });
  });

  it('groups items by what they ask for', () => {
    const a = parametersSignature(itemParameters(tag, 500, true));
    assert.equal(a, parametersSignature(itemParameters({ ...tag }, 500, true)));
    assert.notEqual(a, parametersSignature(itemParameters({ ...tag, queueSize: 5 }, 500, true)));
    assert.notEqual(a, parametersSignature(itemParameters({ ...tag, deadband: { type: 'absolute', value: 1 } }, 500, true)));
  });

  it('builds node-opcua parameters that discard the oldest sample', () => {
    const m = toMonitoringParameters(itemParameters({ ...tag, deadband: { type: 'absolute', value: 2 } }, 500, true));
    assert.equal(m.discardOldest, true);
    assert.equal(m.samplingInterval, 250);
    assert.equal((m.filter as unknown as { deadbandValue: number }).deadbandValue, 2);
  });

  it('tells deadband refusals and BadTooManyOperations', () => {
    assert.ok(isDeadbandRefusal(StatusCodes.BadMonitoredItemFilterUnsupported));
    assert.ok(isDeadbandRefusal(StatusCodes.BadFilterNotAllowed));
    assert.ok(!isDeadbandRefusal(StatusCodes.BadNodeIdUnknown));
    assert.ok(isTooManyOperations(new Error(' serviceResult = BadTooManyOperations (0x80100000)')));
    assert.ok(isTooManyOperations(Object.assign(new Error('x'), { response: { responseHeader: { serviceResult: StatusCodes.BadTooManyOperations } } })));
    assert.ok(!isTooManyOperations(Object.assign(new Error('BadTooManyOperations'), { response: { responseHeader: { serviceResult: StatusCodes.BadTimeout } } })));
    assert.ok(!isTooManyOperations(new Error('BadTimeout')));
  });
});
