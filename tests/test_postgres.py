"""A real PostgreSQL gradebook written by parallel shards at once: no grade lost or duplicated."""

import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from helpers import DLCOURSE, ROOT
from local_services import PostgresServer, apt_install

from autograder.engine import sandbox

SAMPLES = ROOT / "autograder" / "submissions"
SHARDS = 3


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    why = None if list(Path("/usr/lib/postgresql").glob("*/bin/postgres")) else apt_install(["postgresql"],
                                                                                              "pg_ctlcluster")
    if why:
        pytest.skip(why)
    pytest.importorskip("psycopg2", reason="psycopg2-binary (in the dev extra) talks to PostgreSQL")
    # Not under pytest's tmp folder: that one is private to root, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="dlcourse-pg-"))
    server = PostgresServer(folder)
    try:
        yield server.start()  # installed but not starting is a failure, not a skip
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
def test_parallel_shards_write_one_gradebook(db_url, tmp_path):
    from sqlalchemy import create_engine, text

    subs = tmp_path / "subs"
    for k in range(3):
        for name in ("perfect", "untouched", "partial", "alternative"):
            shutil.copytree(SAMPLES / name / "hw0", subs / f"{name}{k}" / "hw0")
    # All shards start at once against the empty database: they race to create the assignment too.
    procs = [subprocess.Popen([*DLCOURSE, "grade", "hw0", str(subs), "--out", str(tmp_path / f"shard{i}"),
                               "--shard", f"{i}/{SHARDS}", "--jobs", "1", "--quiet", "--db-url", db_url],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(SHARDS)]
    outputs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-800:] for o in outputs]

    csv_rows = {}
    for i in range(SHARDS):
        with open(tmp_path / f"shard{i}" / "grades.csv", newline="") as f:
            for r in csv.DictReader(f):
                assert r["student_id"] not in csv_rows, "a student graded by two shards"
                csv_rows[r["student_id"]] = r
    assert len(csv_rows) == 12

    engine = create_engine(db_url)
    with engine.connect() as conn:
        subs_in_db = conn.execute(text(
            "SELECT s.student_id, count(*) FROM submitted_assignment s JOIN assignment a ON a.id = s.assignment_id "
            "WHERE a.name = 'hw0' GROUP BY s.student_id")).all()
        assert {sid: n for sid, n in subs_in_db} == {sid: 1 for sid in csv_rows}  # none lost, none twice
        assert conn.execute(text("SELECT count(*) FROM assignment WHERE name = 'hw0'")).scalar() == 1
    engine.dispose()

    from autograder.gradebook import export_rows

    exported = export_rows(db_url, "hw0")
    for sid, r in csv_rows.items():
        assert exported[sid]["auto"] == pytest.approx(float(r["auto_score"]))
        assert exported[sid]["pending"] == pytest.approx(float(r["manual_pending"]))
