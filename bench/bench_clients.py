"""Which MQTT client and which PostgreSQL driver: the measurement behind README's choice.

Run: ``.venv/bin/python bench/bench_clients.py`` (needs ``mosquitto`` and PostgreSQL 15's
binaries, and all four of paho-mqtt, aiomqtt, psycopg, asyncpg installed).

MQTT: 20 000 QoS 1 sample batches (~200 bytes) published to a local Mosquitto and received by a
subscriber in the same process; time and CPU seconds. PostgreSQL: 2 000 blocks of 4 samples
(PressHold's 50 ms blocks at 80 Hz) written with COPY, time and CPU seconds.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.services import Mosquitto, Postgres  # noqa: E402

N_MSG = 20_000
PAYLOAD = bytes(200)
N_BLOCKS = 2_000


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def paho_run(port: int) -> None:
    import paho.mqtt.client as mqtt

    got = threading.Event()
    count = 0

    def on_message(_c, _u, _m):  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1
        if count == N_MSG:
            got.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe("b/#", qos=1)
    sub.loop_start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    time.sleep(0.2)
    for i in range(N_MSG):
        pub.publish(f"b/{i % 32}", PAYLOAD, qos=1)
    assert got.wait(60), count
    pub.loop_stop()
    sub.loop_stop()


def aiomqtt_run(port: int) -> None:
    import aiomqtt

    async def main() -> None:
        async with (
            aiomqtt.Client("127.0.0.1", port, protocol=aiomqtt.ProtocolVersion.V5) as sub,
            aiomqtt.Client("127.0.0.1", port, protocol=aiomqtt.ProtocolVersion.V5) as pub,
        ):
            await sub.subscribe("b/#", qos=1)

            async def receive() -> None:
                n = 0
                async for _ in sub.messages:
                    n += 1
                    if n == N_MSG:
                        return

            task = asyncio.create_task(receive())
            await asyncio.sleep(0.2)
            for i in range(N_MSG):
                await pub.publish(f"b/{i % 32}", PAYLOAD, qos=1)
            await asyncio.wait_for(task, 60)

    asyncio.run(main())


def blocks():  # type: ignore[no-untyped-def]
    import numpy as np

    for k in range(N_BLOCKS):
        t = np.arange(4) / 80 + k * 0.05
        yield ("s1", float(t[0]), float(t[-1]), 4, t.tobytes(), t.tobytes(), t.tobytes())


DDL = (
    "CREATE TABLE IF NOT EXISTS b (session_id text, t_first float8, t_last float8, n int,"
    " t_s bytea, force_n bytea, raw bytea)"
)


def psycopg_run(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as con:
        con.execute(DDL)
        all_rows = list(blocks())
        for start in range(0, N_BLOCKS, 10):  # one COPY per 0.5 s flush = 10 blocks
            rows = all_rows[start : start + 10]
            with con.cursor().copy("COPY b FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            con.commit()


def asyncpg_run(url: str) -> None:
    import asyncpg

    async def main() -> None:
        con = await asyncpg.connect(url)
        await con.execute(DDL)
        all_rows = list(blocks())
        for start in range(0, N_BLOCKS, 10):
            async with con.transaction():
                await con.copy_records_to_table("b", records=all_rows[start : start + 10])
        await con.close()

    asyncio.run(main())


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        broker = Mosquitto(Path(d))
        broker.start()
        try:
            for name, fn in (("paho-mqtt", paho_run), ("aiomqtt", aiomqtt_run)):
                wall, cpu = timed(lambda fn=fn: fn(broker.port))
                print(f"{name:10s} {N_MSG} QoS1 msgs: {wall:.2f} s wall, {cpu:.2f} s CPU")
        finally:
            broker.stop()
    pg = Postgres()
    pg.init()
    pg.start()
    try:
        for name, fn in (("psycopg", psycopg_run), ("asyncpg", asyncpg_run)):
            url = pg.create_database()
            wall, cpu = timed(lambda fn=fn, url=url: fn(url))
            print(f"{name:10s} {N_BLOCKS} blocks COPY: {wall:.2f} s wall, {cpu:.2f} s CPU")
    finally:
        pg.destroy()


if __name__ == "__main__":
    main()
