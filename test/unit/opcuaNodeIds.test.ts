import { strict as assert } from 'node:assert';
import { NodeId } from 'node-opcua-client';
import { isBifrostError } from '../../gateway/errors';
import { formatNodeId, parseNodeId } from '../../gateway/opcua/nodeIds';
import { ErrorCodes } from '../../gateway/protocol';

function refused(text: string): string {
  try {
    parseNodeId(text);
  } catch (err) {
    assert.ok(isBifrostError(err));
    assert.equal(err.code, ErrorCodes.BadTagRef);
    return err.message;
  }
  assert.fail(`${text} was accepted`);
}

describe('OPC UA node ids', () => {
  it('parses every identifier kind and prints it canonically', () => {
    const cases: [string, number, unknown, number, string][] = [
      ['ns=2;s=Tank.Level', NodeId.NodeIdType.STRING, 'Tank.Level', 2, 'ns=2;s=Tank.Level'],
      ['i=85', NodeId.NodeIdType.NUMERIC, 85, 0, 'i=85'],
      ['ns=0;i=85', NodeId.NodeIdType.NUMERIC, 85, 0, 'i=85'],
      ['ns=1;g=72962b91-fa75-4ae6-8d28-b404dc7daf63', NodeId.NodeIdType.GUID, '72962B91-FA75-4AE6-8D28-B404DC7DAF63', 1, 'ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63'],
      ['ns=3;s=a;b=c', NodeId.NodeIdType.STRING, 'a;b=c', 3, 'ns=3;s=a;b=c'],
    ];
    for (const [text, type, value, ns, canonical] of cases) {
      const id = parseNodeId(text);
      assert.equal(id.identifierType, type, text);
      assert.deepEqual(id.value, value, text);
      assert.equal(id.namespace, ns, text);
      assert.equal(formatNodeId(id), canonical);
    }
    const opaque = parseNodeId('ns=1;b=AAEC');
    assert.equal(opaque.identifierType, NodeId.NodeIdType.BYTESTRING);
    assert.deepEqual([...(opaque.value as Buffer)], [0, 1, 2]);
  });

  it('refuses bad text with the accepted forms', () => {
    const message = refused('Tank.Level');
    assert.match(message, /^"Tank\.Level" is not an OPC UA node id \(expected i=, s=, g= or b= after the namespace\); use `ns=2;s=Tank\.Level`, `i=85`/);
    assert.match(message, /`nsu=urn:example;s=Level`$/);
    assert.match(refused('ns=x;s=A'), /the namespace index "x" is not a number from 0 to 65535/);
    assert.match(refused('ns=70000;i=1'), /not a number from 0 to 65535/);
    assert.match(refused('i=-1'), /a numeric identifier is a whole number from 0 to 4294967295/);
    assert.match(refused('i=4294967296'), /whole number from 0 to 4294967295/);
    assert.match(refused('ns=1;s='), /the string identifier is empty/);
    assert.match(refused('ns=1;g=1234'), /a GUID identifier has the form/);
    assert.match(refused('ns=1;b=***'), /an opaque identifier is base64/);
  });

  it('needs a session to look up a namespace URI', () => {
    assert.match(refused('nsu=urn:x;s=A'), /a namespace URI is looked up on the connected server, and there is none yet/);
    assert.match(refused('nsu=;s=A'), /the namespace URI is empty/);
  });
});
