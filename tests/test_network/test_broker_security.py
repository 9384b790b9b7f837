"""The broker set up as docs/deploy.md says: TLS, a password per station, an ACL that lets
each station publish only under its own id. Stations and the hub connect with ``mqtts://`` and
credentials from ``PRESSHOLD_BROKER_*``; a wrong password is refused (and never printed); a
station cannot pose as another."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from support.inprocess import running
from support.remote_checks import assert_exactly_once, finish, station, until
from support.services import MOSQUITTO, Mosquitto, require

ACL = """\
user hub
topic readwrite presshold/v1/#

pattern write presshold/v1/stations/%u/#
pattern read presshold/v1/stations/%u/cmd/#
pattern read presshold/v1/stations/%u/ack
topic read presshold/v1/hub/status
topic write presshold/v1/hub/+/reply
"""


def make_broker(tmp_path: Path) -> Mosquitto:
    require(MOSQUITTO, "mosquitto")
    if shutil.which("openssl") is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("openssl and mosquitto_passwd are needed to set up TLS and passwords")
    # not under pytest's 0700 temp dir: mosquitto drops root privileges before reading them
    d = Path(tempfile.mkdtemp(prefix="presshold-mqtt-", dir="/tmp"))
    d.chmod(0o755)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    pw = d / "passwords"
    for i, (user, secret) in enumerate((("hub", "hub-secret"), ("table-1", "t1-secret"))):
        flags = ["-b", "-c"] if i == 0 else ["-b"]
        subprocess.run(["mosquitto_passwd", *flags, str(pw), user, secret], check=True)
    (d / "acl").write_text(ACL)
    for f in d.iterdir():
        f.chmod(0o644)
    secure = (
        f"certfile {d / 'cert.pem'}\nkeyfile {d / 'key.pem'}\n"
        f"password_file {pw}\nacl_file {d / 'acl'}\nallow_anonymous false\n"
    )
    return Mosquitto(d, secure=secure)


@pytest.mark.anyio
async def test_tls_and_per_station_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = make_broker(tmp_path)
    broker.start()
    monkeypatch.setenv("PRESSHOLD_BROKER_CA", str(broker.conf.parent / "cert.pem"))
    url = f"mqtts://localhost:{broker.port}"
    try:
        async with running(
            tmp_path / "hub", names=(), broker=url,
            broker_username="hub", broker_password="hub-secret",
        ) as hub:  # fmt: skip
            monkeypatch.setenv("PRESSHOLD_BROKER_USERNAME", "table-1")
            monkeypatch.setenv("PRESSHOLD_BROKER_PASSWORD", "wrong")
            async with station(url, tmp_path / "a", sid="table-1") as (pub, _):
                await until(lambda: pub.error is not None, 10)
                assert "refused" in pub.error and "wrong" not in pub.error
                assert not pub.connected.is_set()
            monkeypatch.setenv("PRESSHOLD_BROKER_PASSWORD", "t1-secret")
            # table-1's credentials cannot publish as table-2: the broker drops it silently
            async with station(url, tmp_path / "b", sid="table-2") as (pub2, _):
                await until(pub2.connected.is_set, 10)
                async with station(url, tmp_path / "c", sid="table-1") as (pub, source):
                    await until(lambda: "table-1" in hub.stations.stations, 15)
                    await until(lambda: source.produced > 80)
                    await finish(pub, source)
                    assert_exactly_once(hub.stations.store, "table-1", source.produced)
                assert "table-2" not in hub.stations.stations
    finally:
        broker.stop()
        shutil.rmtree(broker.conf.parent, ignore_errors=True)
