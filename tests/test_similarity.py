"""`dlcourse similarity`: disguised copies are paired, honest and untouched work is not, student text stays inert."""

import argparse
import ast
import copy
import csv
import importlib.util
import json
import os
import re
import time
from pathlib import Path

import pytest
from variants import answer_cells, load, notebook_with

from autograder import similarity
from autograder.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]
HW = "hw1"


def _bench():
    spec = importlib.util.spec_from_file_location("similarity_recall", ROOT / "benchmarks" / "similarity_recall.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = _bench()
MATERIAL = bench.load_assignment(HW)


def _write(subs: Path, sid: str, nb) -> None:
    dest = subs / sid / HW / f"{HW}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, bytes):
        dest.write_bytes(nb)
    else:
        dest.write_text(json.dumps(nb), encoding="utf-8")


def _run(subs: Path, out: Path, *extra: str) -> int:
    parser = argparse.ArgumentParser()
    similarity.add_arguments(parser)
    return similarity.run(parser.parse_args([HW, str(subs), "--out", str(out), *extra]))


def _pairs(out: Path) -> dict[frozenset, float]:
    with open(out / "similarity.csv", newline="", encoding="utf-8") as f:
        return {frozenset((r["student_a"], r["student_b"])): float(r["score"]) for r in csv.DictReader(f)}


def _release() -> dict:
    return notebook_with(HW, solved=False)


def _with(cells: dict[str, str]) -> dict:
    return bench.notebook(MATERIAL, cells)


# ------------------------------------------------------------------------------------------ tokens


def test_normalization_ignores_names_comments_docstrings_layout_and_literal_style():
    a = '''def f(x, h=1e-6):
    """Docstring."""
    total = 0.0  # running sum
    for item in x:
        total += item ** 2
    return total / len(x), x.sum(axis=0)
'''
    b = "def g(values,h=0.000001):\n  acc=0.  ;  '''other doc'''\n  for v in values: acc += (v ** 2)\n\n" \
        "  return (acc/len(values), values.sum(axis = 0,))\n"
    norm = [t.norm for t in similarity.code_tokens(a)]
    assert norm == [t.norm for t in similarity.code_tokens(b)]
    assert "sum" in norm and "axis" in norm and "len" in norm  # library API and builtins are kept
    assert not {"total", "item", "x"} & set(norm)


def test_own_attributes_are_renamable_but_library_attributes_are_not():
    a = "self.fc = nn.Linear(3, 4)\ny = self.fc(x).relu()"
    b = "self.head = nn.Linear(3, 4)\ny = self.head(x).relu()"
    assert [t.norm for t in similarity.code_tokens(a)] == [t.norm for t in similarity.code_tokens(b)]
    assert "Linear" in [t.norm for t in similarity.code_tokens(a)]


def test_unparseable_code_falls_back_to_a_normalized_token_stream():
    broken = "def f(a, b:\n    return (a + b  # unclosed\n%timeit f(1, 2)\n"
    norm = [t.norm for t in similarity.code_tokens(broken)]
    assert norm[:5] == ["def", "V", "(", "V", ","] and "unclosed" not in " ".join(norm)
    assert "timeit" not in norm  # magics dropped


# ------------------------------------------------------------------------------------ the command


def _disguises(original: dict[str, str]) -> dict[str, dict[str, str]]:
    """Three copies of ``original``'s cells: renamed, reordered, reformatted (and one with all three)."""
    keep = set().union(*MATERIAL["required"].values())
    names = set().union(*(bench.own_names(ast.parse(original[g]), keep) for g in MATERIAL["order"]))
    mapping = {n: f"my_{n}_var" for n in sorted(names)}
    renamed = {g: bench.rename_tokens(t, mapping) if g in MATERIAL["order"] else t for g, t in original.items()}
    reordered = dict(original)  # later answers moved up into the cell above, in reverse order
    reordered["mlp_backprop"] = original["gradient_check"] + "\n\n" + original["mlp_backprop"]
    reordered["gradient_check"] = "# moved above\n"
    reordered["mistakes_vs_margin"] = original["sqrt_knot_experiment"] + "\n\n" + original["mistakes_vs_margin"]
    reordered["sqrt_knot_experiment"] = "pass\n"
    reformatted = {g: bench.literal_styles(bench.one_arg_per_line(bench.reindent(
        bench.strip_comments(ast.unparse(ast.parse(t))), 2)), __import__("random").Random(0))
        if g in MATERIAL["order"] else t for g, t in original.items()}
    everything = {g: bench.reindent(bench.rename_tokens(t, mapping), 3) if g in MATERIAL["order"] else t
                  for g, t in reordered.items()}
    return {"renamed": renamed, "reordered": reordered, "reformatted": reformatted, "all-three": everything}


def test_disguised_copies_are_paired_and_other_correct_answers_are_not(tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    original = answer_cells(HW)
    _write(subs, "original", _with(original))
    for name, cells in _disguises(original).items():
        _write(subs, name, _with(cells))
    variants = load(HW)  # a student who wrote every answer differently (the first correct alternative)
    _write(subs, "other", _with({g: next(iter(variants[g]["right"].values())) for g in original}))
    assert _run(subs, out) == 0
    pairs = _pairs(out)
    group = ["original", "renamed", "reordered", "reformatted", "all-three"]
    for i, a in enumerate(group):
        for b in group[i + 1:]:
            assert pairs.get(frozenset((a, b)), 0) >= similarity.DEFAULT_THRESHOLD, (a, b, pairs)
    assert not [p for p in pairs if "other" in p]
    printed = capsys.readouterr().out
    assert f"{len(pairs)} pairs above {similarity.DEFAULT_THRESHOLD:g} among 6 submissions -> " \
           f"{out / 'similarity.csv'}, {out / 'similarity.html'}" in printed
    rows = list(csv.reader(open(out / "similarity.csv", encoding="utf-8")))
    assert rows[0] == ["student_a", "student_b", "score"] and len(rows) == len(pairs) + 1
    scores = [float(r[2]) for r in rows[1:]]
    assert scores == sorted(scores, reverse=True)
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "<mark>" in page and "reordered" in page and page.count("<section>") == len(pairs)


def test_two_different_correct_implementations_score_low():
    starter = similarity.starter_hashes(MATERIAL["release"])
    variants = load(HW)
    for gid, ref in answer_cells(HW).items():
        for alt in variants[gid]["right"].values():
            a = similarity.fingerprint("a", [similarity.Answer(gid, "code", ref)], starter).fingerprints
            b = similarity.fingerprint("b", [similarity.Answer(gid, "code", alt)], starter).fingerprints
            assert similarity.score(a, b)[0] < 0.5, gid


def test_untouched_releases_never_pair_with_anything(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    release = _release()
    _write(subs, "untouched1", release)
    _write(subs, "untouched2", release)
    fiddled = copy.deepcopy(release)  # stubs re-indented, comments changed, cells left unanswered
    for cell in fiddled["cells"]:
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("solution") and cell["cell_type"] == "code":
            cell["source"] = bench.reindent(bench.strip_comments(similarity._src(cell)), 2) + "# todo\n"
    _write(subs, "fiddled", fiddled)
    _write(subs, "solved", notebook_with(HW))
    assert _run(subs, out, "--threshold", "0.01") == 0
    assert not [p for p in _pairs(out) if p & {"untouched1", "untouched2", "fiddled"}]
    report = similarity.compare_folder(similarity_course(), HW, subs, 0.01)
    assert all(not report.students[s].where for s in ("untouched1", "untouched2", "fiddled"))


def similarity_course():
    from autograder.course import find_course

    return find_course(ROOT)


def test_starter_code_and_pasted_release_cells_do_not_count():
    release = MATERIAL["release"]
    starter = similarity.starter_hashes(release)
    visible = {c["metadata"]["nbgrader"]["grade_id"]: similarity._src(c) for c in release["cells"]
               if (c["metadata"].get("nbgrader") or {}).get("grade")}
    helpers = similarity._src(next(c for c in release["cells"]
                                   if (c["metadata"].get("nbgrader") or {}).get("grade_id") == "mlp_helpers"))
    stub = similarity._src(next(c for c in release["cells"]
                                if (c["metadata"].get("nbgrader") or {}).get("grade_id") == "mlp_backprop"))
    pieces = [stub, "\n" + visible["test_mlp_backprop"], "\n" + helpers]
    text = "".join(pieces)
    assert similarity.fingerprint("p", [similarity.Answer("mlp_backprop", "code", stub)], starter).where == {}
    where = similarity.fingerprint("p", [similarity.Answer("mlp_backprop", "code", text)], starter).where
    cuts = [sum(map(len, pieces[:i])) for i in range(1, len(pieces))]
    # what is left are the few k-grams that straddle a junction between two pasted pieces
    assert where and all(any(s < cut < e for cut in cuts) for locs in where.values() for _, s, e in locs)
    assert len(where) <= 2 * len(cuts) * similarity.K_CODE
    # Two students who pasted the same release code next to different answers are not a pair.
    variants = load(HW)
    a = answer_cells(HW)
    b = {g: next(iter(variants[g]["right"].values())) for g in a}
    paste = "\n" + helpers + "\n" + visible["test_gradient_check"]
    nbs = {"a": _with({g: t + paste for g, t in a.items()}), "b": _with({g: t + paste for g, t in b.items()})}
    report = similarity.compare_notebooks(MATERIAL["source"], release, nbs)
    assert report.pairs == []
    # Without the release masked, the pasted code alone would have paired them.
    unmasked = {s: similarity.fingerprint(s, similarity.student_answers(MATERIAL["source"], release, nb),
                                          frozenset()).fingerprints for s, nb in nbs.items()}
    masked = {s: st.fingerprints for s, st in report.students.items()}
    assert similarity.score(*unmasked.values())[0] > similarity.score(*masked.values())[0] + 0.2


def test_hostile_submissions_are_escaped_skipped_or_quoted(tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    evil = ('<script>alert(1)</script> <a href="javascript:alert(2)">click</a> <img src=x onerror=alert(3)> '
            "\u202e evil [link](javascript:alert(4)) the gradient of the loss is computed by the chain rule " * 3)
    cells = {**answer_cells(HW), "written_margin": evil}
    cells["sqrt_knot_experiment"] += "\n# </pre><script>alert(5)</script>\n"
    _write(subs, "mallory", _with(cells))
    _write(subs, "=HYPERLINK(1)", _with(cells))  # a copy, whose id a spreadsheet would run
    _write(subs, "broken", b"{ this is not JSON")
    (subs / "nothing" / "hw9").mkdir(parents=True)  # nothing for this assignment
    os.symlink(subs / "mallory", subs / "linked")
    assert _run(subs, out) == 0
    printed = capsys.readouterr().out
    assert re.search(r"not compared: broken: .*not valid JSON", printed)
    assert "not compared: linked:" in printed and "not compared: nothing:" in printed
    assert "among 2 submissions" in printed
    rows = list(csv.reader(open(out / "similarity.csv", encoding="utf-8")))
    assert rows[1][:2] == ["'=HYPERLINK(1)", "mallory"]
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<a " not in page and "<img" not in page and not re.search(r"<[^>]*href", page)
    assert "&lt;script&gt;alert(1)" in page and "&lt;/pre&gt;&lt;script&gt;alert(5)" in page
    assert "\u202e" not in page and "\\u202e" in page
    assert "default-src 'none'" in page
    assert "broken" in page and "not valid JSON" in page


def test_bad_input_says_what_to_do(tmp_path):
    with pytest.raises(CourseError, match="does not exist"):
        _run(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "subs" / "s1" / HW).mkdir(parents=True)
    parser = argparse.ArgumentParser()
    similarity.add_arguments(parser)
    with pytest.raises(CourseError, match="Unknown assignment 'hw99'"):
        similarity.run(parser.parse_args(["hw99", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]))
    with pytest.raises(SystemExit):
        parser.parse_args([HW, str(tmp_path / "subs"), "--out", "o", "--threshold", "2"])


# ------------------------------------------------------------------------------------- measurement


def test_recall_and_false_positives_on_a_synthetic_class_of_200():
    """benchmarks/similarity_recall.py, small: a seeded hw1 class of 170 honest students, 20 disguised
    copies and 10 partial copies, through the report's own code path."""
    notebooks, planted, _ = bench.build_class(MATERIAL, seed=11, n_honest=170, n_copies=20, rate=0.3, blank=0.1,
                                              n_partial=10)
    assert len(notebooks) == 200
    t0 = time.process_time()  # CPU time: the machine may be shared
    report = similarity.compare_notebooks(MATERIAL["source"], MATERIAL["release"], notebooks)
    elapsed = time.process_time() - t0
    flagged = {(p.a, p.b) for p in report.pairs}
    honest = [p for p in ((a, b) for a in notebooks for b in notebooks if a < b)
              if p[0].startswith("h") and p[1].startswith("h") and p not in planted]
    recall = len(flagged & planted) / len(planted)
    fpr = len(flagged & set(honest)) / len(honest)
    print(f"recall {recall:.1%} of {len(planted)}, false positives {fpr:.2%} of {len(honest)}, {elapsed:.1f} s")
    assert recall >= 0.9 and fpr <= 0.05
    assert elapsed < 10
