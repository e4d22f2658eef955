/**
 * Methods: what they take and give (InputArguments / OutputArguments), the object they belong to,
 * and calls with inputs encoded by the arguments' DataTypes (refused before sending when they do
 * not fit) and outputs converted like values.
 */
import { AttributeIds, BrowseDirection, ReferenceTypeIds, type ClientSession, type NodeId } from 'node-opcua-client';
import { BifrostError } from '../errors';
import { ErrorCodes, type CallResult, type MethodArgument, type MethodDescribeResult, type TagValue } from '../protocol';
import { browseAll, readAll } from './batches';
import { describeDataTypes, propertiesOf } from './dataTypes';
import { encodeForTarget, valueKindOf, type EncodeTarget } from './encode';
import { formatNodeId, localNodeId } from './nodeIds';
import { describeStatus, statusError } from './statusCodes';
import { variantToTagValue } from './values';

interface RawArgument {
  name: string;
  dataType: NodeId;
  valueRank: number;
  arrayDimensions?: number[] | null;
  description?: { text?: string | null } | null;
}

interface DescribedArgument extends MethodArgument {
  target: EncodeTarget;
}

interface DescribedMethod extends MethodDescribeResult {
  inputTargets: EncodeTarget[];
}

export async function describeMethod(session: ClientSession, methodId: NodeId): Promise<MethodDescribeResult> {
  const { inputTargets: _inputs, ...result } = await describe(session, methodId);
  return result;
}

async function describe(session: ClientSession, methodId: NodeId): Promise<DescribedMethod> {
  const ref = formatNodeId(methodId);
  const [nodeClass, browseName, description, executable, userExecutable] = await readAll(
    session,
    [AttributeIds.NodeClass, AttributeIds.BrowseName, AttributeIds.Description, AttributeIds.Executable, AttributeIds.UserExecutable].map((attributeId) => ({ nodeId: methodId, attributeId })),
  );
  if (!nodeClass.statusCode.isGood()) throw new BifrostError(ErrorCodes.BadTagRef, `${ref}: ${describeStatus(nodeClass.statusCode)}`);
  if (executable.statusCode.name === 'BadAttributeIdInvalid') throw new BifrostError(ErrorCodes.BadTagRef, `${ref} is not a method`);
  const [[parents], [[inputsNode, outputsNode]]] = await Promise.all([
    browseAll(session, [
      { nodeId: methodId, browseDirection: BrowseDirection.Inverse, referenceTypeId: `i=${ReferenceTypeIds.HasComponent}`, includeSubtypes: true, nodeClassMask: 0, resultMask: 0x3f },
    ]),
    propertiesOf(session, [methodId], ['InputArguments', 'OutputArguments']),
  ]);
  const parent = parents.references?.[0]?.nodeId;
  if (!parent) throw new BifrostError(ErrorCodes.BadTagRef, `${ref}: the server names no object the method belongs to`);
  const argumentNodes = [inputsNode, outputsNode].filter((x): x is NodeId => x !== undefined);
  const argumentValues = await readAll(session, argumentNodes.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  let k = 0;
  const rawInputs = inputsNode ? argumentsOf(argumentValues[k++]?.value.value) : [];
  const rawOutputs = outputsNode ? argumentsOf(argumentValues[k++]?.value.value) : [];
  const types = await describeDataTypes(session, [...rawInputs, ...rawOutputs].map((a) => a.dataType));
  const described = [...rawInputs, ...rawOutputs].map((raw, i): DescribedArgument => {
    const type = types[i];
    const isInput = i < rawInputs.length;
    const target: EncodeTarget = {
      subject: `input ${raw.name} of ${ref}`,
      dataType: type.name,
      dataTypeId: type.id,
      builtInType: type.builtInType,
      valueRank: raw.valueRank,
      arrayDimensions: raw.arrayDimensions ? Array.from(raw.arrayDimensions) : undefined,
      enumValues: type.enumValues,
    };
    if (!isInput) target.subject = `output ${raw.name} of ${ref}`;
    const argument: DescribedArgument = { name: raw.name, dataType: type.name, valueKind: valueKindOf(target), valueRank: raw.valueRank, target };
    const text = raw.description?.text;
    if (text) argument.description = text;
    return argument;
  });
  const strip = ({ target: _target, ...argument }: DescribedArgument): MethodArgument => argument;
  const result: DescribedMethod = {
    objectId: formatNodeId(localNodeId(parent)),
    methodId: ref,
    name: browseName.statusCode.isGood() ? String((browseName.value.value as { name: string }).name) : ref,
    inputs: described.slice(0, rawInputs.length).map(strip),
    outputs: described.slice(rawInputs.length).map(strip),
    executable: executable.value.value === true && userExecutable.value.value === true,
    inputTargets: described.slice(0, rawInputs.length).map((a) => a.target),
  };
  const text = description.statusCode.isGood() ? (description.value.value as { text?: string | null } | null)?.text : undefined;
  if (text) result.description = text;
  return result;
}

function argumentsOf(value: unknown): RawArgument[] {
  if (!Array.isArray(value)) return [];
  return value.map((a: RawArgument) => ({ name: a.name, dataType: a.dataType, valueRank: a.valueRank, arrayDimensions: a.arrayDimensions, description: a.description }));
}

/** Inputs encoded by the method's InputArguments (BadValue when one does not fit), outputs converted back. */
export async function callMethod(session: ClientSession, objectId: NodeId, methodId: NodeId, inputs: readonly TagValue[]): Promise<CallResult> {
  const method = await describe(session, methodId);
  const ref = method.methodId;
  if (!Array.isArray(inputs)) throw new BifrostError(ErrorCodes.BadValue, `${ref}: the inputs are a JSON array`);
  if (inputs.length !== method.inputTargets.length) {
    const names = method.inputs.map((a) => `${a.name} (${a.dataType})`).join(', ') || 'none';
    throw new BifrostError(ErrorCodes.BadValue, `${method.name} (${ref}) takes ${method.inputTargets.length} input(s), got ${inputs.length}: ${names}`);
  }
  const variants = [];
  for (let i = 0; i < inputs.length; i++) variants.push((await encodeForTarget(method.inputTargets[i], inputs[i], session)).variant);
  const result = await session.call({ objectId, methodId, inputArguments: variants });
  const badInputs = (result.inputArgumentResults ?? []).map((status, i) => ({ status, i })).filter(({ status }) => !status.isGood());
  if (badInputs.length > 0) {
    const named = badInputs.map(({ status, i }) => `input ${method.inputs[i]?.name ?? i}: ${describeStatus(status)}`).join('; ');
    throw new BifrostError(ErrorCodes.BadValue, `${method.name} (${ref}): ${describeStatus(result.statusCode)}: ${named}`);
  }
  if (result.statusCode.isBad()) throw statusError(`${method.name} (${ref})`, result.statusCode);
  return { status: result.statusCode.name, outputs: (result.outputArguments ?? []).map((v) => variantToTagValue(v)) };
}
