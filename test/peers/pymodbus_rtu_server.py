"""A Modbus RTU server built on pymodbus, on a serial port (one end of a pty pair in the tests):
a device on a bus that no one on this project wrote.

    python3 pymodbus_rtu_server.py SERIAL_PATH BAUD BANKS.json

BANKS.json as for pymodbus_server.py: {"hr": [...], ...} for every unit id, or
{"units": {"1": {banks}, "2": {banks}}} for those unit ids only. 8 data bits, no parity, 1 stop bit.
"""
import json
import logging
import sys

from pymodbus.datastore import ModbusServerContext
from pymodbus.server import StartSerialServer
from pymodbus.transaction import ModbusRtuFramer

from pymodbus_server import slave


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    path, baud = sys.argv[1], int(sys.argv[2])
    with open(sys.argv[3], encoding="utf-8") as f:
        banks = json.load(f)
    if "units" in banks:
        context = ModbusServerContext(slaves={int(u): slave(b) for u, b in banks["units"].items()}, single=False)
    else:
        context = ModbusServerContext(slaves=slave(banks), single=True)
    StartSerialServer(context=context, framer=ModbusRtuFramer, port=path, baudrate=baud, bytesize=8, parity="N", stopbits=1)


if __name__ == "__main__":
    main()
