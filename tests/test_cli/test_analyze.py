import json

import numpy as np

from presshold.cli import main


def write_trace(path, extra=""):
    t = np.arange(0, 16, 1 / 80)
    f = np.interp(t, [0, 2, 10, 10.2, 12, 12.2, 14, 15, 16], [0, 30, 30, 40, 40, 30, 30, 0, 0])
    rows = "\n".join(f"{a:.4f},7,{b:.3f}" for a, b in zip(t, f, strict=True))
    path.write_text(f"# presshold trace\nt_s,raw,force_n\n{rows}\n{extra}")


def test_analyze_json(tmp_path, capsys):
    p = tmp_path / "a.csv"
    write_trace(p)
    assert (
        main(["analyze", str(p), "--target", "30N", "--tolerance", "3N", "--hold", "5", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["holds_completed"] == 1
    assert [a["kind"] for a in out["alerts"]] == ["over"]


def test_bad_line_named(tmp_path, capsys):
    p = tmp_path / "b.csv"
    write_trace(p, "16.1,7,oops\n")
    assert main(["analyze", str(p), "--target", "30"]) != 0
    err = capsys.readouterr().err
    assert ":1283:" in err and "Traceback" not in err
