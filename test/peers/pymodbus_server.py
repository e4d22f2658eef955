"""A Modbus TCP server built on pymodbus, used by the integration tests as a device that no one
on this project wrote.

    python3 pymodbus_server.py PORT BANKS.json

BANKS.json holds the initial banks: {"hr": [...], "ir": [...], "co": [...], "di": [...]}, each
a list indexed by 0-based address (banks are padded with zeros to 400 entries), served under
every unit id. {"units": {"1": {banks}, "2": {banks}}} serves those unit ids only, each with
banks of its own. An "identity" key, {"VendorName": ..., "ProductCode": ..., "MajorMinorRevision": ...,
"ProductName": ..., ...} in pymodbus's object names, is answered to Read Device Identification
(FC43/14). Every accepted TCP connection is reported on stderr as a line
"connection opened". Binds 127.0.0.1 only.
"""
import json
import logging
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import StartTcpServer
from pymodbus.server.async_io import ModbusConnectedRequestHandler


def block(values, size=400):
    data = list(values) + [0] * max(0, size - len(values))
    return ModbusSequentialDataBlock(0, data)


def slave(banks):
    # zero_mode: request address N reads list index N (pymodbus otherwise shifts by one).
    return ModbusSlaveContext(
        di=block(banks.get("di", [])),
        co=block(banks.get("co", [])),
        hr=block(banks.get("hr", [])),
        ir=block(banks.get("ir", [])),
        zero_mode=True,
    )


class CountingHandler(ModbusConnectedRequestHandler):
    """Tells the test about each connection, so it can count them at the server."""

    def connection_made(self, transport):
        super().connection_made(transport)
        print("connection opened", file=sys.stderr, flush=True)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    port = int(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        banks = json.load(f)
    if "units" in banks:
        slaves = {int(unit): slave(b) for unit, b in banks["units"].items()}
        context = ModbusServerContext(slaves=slaves, single=False)
    else:
        context = ModbusServerContext(slaves=slave(banks), single=True)
    identity = ModbusDeviceIdentification(info_name=banks["identity"]) if "identity" in banks else None
    StartTcpServer(context=context, identity=identity, address=("127.0.0.1", port), handler=CountingHandler)


if __name__ == "__main__":
    main()
