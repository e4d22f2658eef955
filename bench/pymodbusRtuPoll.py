"""pymodbus's RTU client polling a serial port as fast as it goes, for the `rtu` benchmark: the
same requests the gateway makes, every unit in turn, one request at a time.

    python3 pymodbusRtuPoll.py SERIAL_PATH BAUD PARITY SECONDS UNITS.json REQUESTS.json

UNITS.json: [1, 2]; REQUESTS.json: [[function code, start, count], ...] with function codes 1-4.
Prints "ready" once the first round was answered, then after SECONDS one JSON line with the
requests sent and how many failed.
"""
import json
import logging
import sys
import time

import pymodbus
from pymodbus.client import ModbusSerialClient


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
    path, baud, parity, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    units, requests = json.loads(sys.argv[5]), json.loads(sys.argv[6])
    client = ModbusSerialClient(port=path, baudrate=baud, parity=parity, bytesize=8, stopbits=1, timeout=1, retries=0)
    if not client.connect():
        sys.exit(f"cannot open {path}")
    read = {1: client.read_coils, 2: client.read_discrete_inputs, 3: client.read_holding_registers, 4: client.read_input_registers}
    sent = 0
    failed = 0

    def round_of_all():
        nonlocal sent, failed
        for unit in units:
            for fc, start, count in requests:
                sent += 1
                answer = read[fc](start, count, slave=unit)
                if answer.isError():
                    failed += 1

    round_of_all()
    if failed:
        sys.exit(f"the first round failed: {failed} of {sent} requests")
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        round_of_all()
    client.close()
    python = ".".join(str(x) for x in sys.version_info[:3])
    print(json.dumps({"requests": sent, "failed": failed, "python": python, "pymodbus": pymodbus.__version__}), flush=True)


if __name__ == "__main__":
    main()
