"""``dlcourse``: the instructor's command line.

    dlcourse release ASSIGNMENT|all [--check]
    dlcourse grade ASSIGNMENT SUBMISSIONS_DIR [--out DIR] [--jobs N] [--slurm --shards N]
    dlcourse run-notebooks [NOTEBOOK ...] [--out DIR] [--fast] [--slurm]
    dlcourse demo [--out DIR] [--jobs N]
    dlcourse badges
    dlcourse collect canvas ZIP ASSIGNMENT --roster ROSTER.csv --out DIR   (or: collect folder ...)
    dlcourse feedback ASSIGNMENT --out DIR [--submissions DIR]
    dlcourse course-grades --out DIR [--roster ROSTER.csv] [--teams ... --project-scores ...]
    dlcourse similarity ASSIGNMENT SUBMISSIONS_DIR --out DIR

Exit status: 0 all good; 1 finished, but some submissions could not be graded (each still has a
row saying why); 2 bad input (unknown assignment, missing or empty folder, an assignment that breaks
the authoring rules of authoring.py...); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .errors import CourseError

EXIT_OK, EXIT_SOME_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dlcourse", description="Release and grade the course's assignments.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("release", help="generate student versions from source/ into release/")
    r.add_argument("assignment", help="assignment name (e.g. hw0) or 'all'")
    r.add_argument("--check", action="store_true", help="do not write; fail if release/ is out of date")

    g = sub.add_parser("grade", help="autograde <student_id>/<assignment>/*.ipynb submissions")
    g.add_argument("assignment")
    g.add_argument("submissions_dir", type=Path)
    g.add_argument("--out", type=Path, default=Path("grades"), help="where grades.csv and feedback/ go")
    g.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of cores)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--timeout", type=float, default=600, help="wall-clock limit per submission, seconds")
    g.add_argument("--cell-timeout", type=float, default=120, help="wall-clock limit per cell, seconds")
    g.add_argument("--memory", default="4G", help="memory limit per submission (e.g. 4G, 512M)")
    g.add_argument("--feedback-details", action="store_true",
                   help="show full error messages in feedback, hidden tests' included (off by default)")
    g.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code without isolation (only for trusted code, where root is not available)")

    g.add_argument("--db-url", default=None,
                   help="nbgrader gradebook (SQLAlchemy URL, e.g. postgresql://user@host/db); "
                        "default sqlite:///OUT/gradebook.db; 'none' skips it")
    g.add_argument("--term", type=Path, default=None,
                   help="the term's due dates and late policy (default: course.toml in the course folder)")
    g.add_argument("--slurm", action="store_true", help="grade in shards, one Slurm array task each, then merge")
    g.add_argument("--shards", type=int, default=4, help="with --slurm: number of array tasks (default 4)")
    g.add_argument("--shard", type=_shard, default=None, help=argparse.SUPPRESS)  # i/n: one task's share
    _add_slurm_args(g)

    n = sub.add_parser("run-notebooks", help="execute lecture notebooks (full mode by default) and collect results")
    n.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    n.add_argument("--out", type=Path, default=Path("build/notebook-runs"))
    n.add_argument("--fast", action="store_true", help="fast mode (COURSE_FAST=1) instead of full mode")
    n.add_argument("--cell-timeout", type=float, default=1800)
    n.add_argument("--update-results", action="store_true",
                   help="merge passing full-mode figures into full-mode.json (RESULTS.md's full-mode column)")
    n.add_argument("--slurm", action="store_true", help="one Slurm array task per notebook")
    _add_slurm_args(n)

    f = sub.add_parser("formgrader", help="open nbgrader's formgrader on graded results, for the written answers")
    f.add_argument("--out", type=Path, default=Path("grades"), help="the --out folder of `dlcourse grade`")
    f.add_argument("--db-url", default=None, help="the gradebook given to `dlcourse grade` (default: OUT/gradebook.db)")
    f.add_argument("--port", type=int, default=8888)
    f.add_argument("--ip", default="127.0.0.1")
    f.add_argument("--token", default=None, help="access token (default: Jupyter makes one)")

    e = sub.add_parser("export", help="bring the manual grades entered in formgrader into grades.csv")
    e.add_argument("assignment", help="assignment name or 'all'")
    e.add_argument("--out", type=Path, default=Path("grades"), help="the --out folder of `dlcourse grade`")
    e.add_argument("--db-url", default=None, help="the gradebook given to `dlcourse grade` (default: OUT/gradebook.db)")

    c = sub.add_parser("collect", help="bring an LMS's submissions into <student_id>/<assignment>/ folders")
    from . import collect

    collect.add_arguments(c)

    fb = sub.add_parser("feedback", help="after formgrader: rebuild feedback pages with the human scores and "
                                         "comments, and a zip for Canvas's Re-Upload Submissions")
    fb.add_argument("assignment", help="assignment name or 'all'")
    fb.add_argument("--out", type=Path, default=Path("grades"), help="the --out folder of `dlcourse grade`")
    fb.add_argument("--db-url", default=None, help="the gradebook (default: OUT/gradebook.db)")
    fb.add_argument("--submissions", type=Path, default=None,
                    help="the folder `dlcourse collect` wrote (its submissions.csv names the Canvas files)")

    cg = sub.add_parser("course-grades", help="course grades from every assignment's grades.csv and the project")
    cg.add_argument("--out", type=Path, default=Path("grades"), help="the --out folder of `dlcourse grade`")
    cg.add_argument("--term", type=Path, default=None, help="default: course.toml in the course folder")
    cg.add_argument("--roster", type=Path, default=None,
                    help="Canvas gradebook export (or a plain roster): who is graded, and the Canvas import's ids")
    cg.add_argument("--teams", type=Path, default=None, help="project teams: team,student_id (project/README.md)")
    cg.add_argument("--project-scores", type=Path, default=None, help="team,component,score")
    cg.add_argument("--adjustments", type=Path, default=None, help="student_id,component,factor")

    sim = sub.add_parser("similarity", help="pairs of submissions whose answers look alike")
    from . import similarity

    similarity.add_arguments(sim)

    sub.add_parser("badges", help="point Colab badges and setup blocks at [tool.dlcourse] in pyproject.toml")

    pub = sub.add_parser("publish", help="point badges at [tool.dlcourse] (then commit and push); --check: verify "
                                         "on the remote that every badge and install target resolves")
    pub.add_argument("--check", action="store_true", help="change nothing; ask the remote (git ls-remote)")

    d = sub.add_parser("demo", help="release everything and grade the sample submissions")
    d.add_argument("--out", type=Path, default=Path("build/demo"))
    d.add_argument("--jobs", type=int, default=None)
    return p


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: expected INDEX/COUNT, e.g. 0/4") from None
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: need 0 <= INDEX < COUNT")
    return i, n


def _add_slurm_args(p) -> None:
    s = p.add_argument_group("Slurm (defaults: [tool.dlcourse.slurm] in pyproject.toml; '' drops a setting)")
    for flag, what in (("--partition", "partition"), ("--account", "account to charge (-A)"),
                       ("--time", "time limit per task, e.g. 01:00:00"), ("--gres", "e.g. gpu:a100:1"),
                       ("--mem", "memory per task, e.g. 16G"), ("--conda-env", "conda environment to activate")):
        s.add_argument(flag, default=None, help=what)
    s.add_argument("--cpus-per-task", type=int, default=None)
    s.add_argument("--sbatch-arg", action="append", default=None, dest="extra",
                   help="another #SBATCH argument (repeatable), e.g. --sbatch-arg=--qos=short")


def _slurm_options(course, args, kind: str):
    from .slurm import load_options

    keys = ("partition", "account", "time", "gres", "mem", "conda_env", "cpus_per_task", "extra")
    return load_options(course.root, kind, {k: getattr(args, k) for k in keys})


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"release": cmd_release, "grade": cmd_grade, "demo": cmd_demo, "badges": cmd_badges,
                "run-notebooks": cmd_run_notebooks, "formgrader": cmd_formgrader, "publish": cmd_publish,
                "export": cmd_export, "collect": cmd_collect, "feedback": cmd_feedback,
                "course-grades": cmd_course_grades, "similarity": cmd_similarity}[args.command](args)
    except CourseError as exc:
        print(f"dlcourse: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("dlcourse: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dlcourse grade ... | head`
        sys.stderr.close()
        return EXIT_OK


def _course():
    from .course import find_course

    return find_course()


def _assignments(course, name: str) -> list[str]:
    if name == "all":
        names = course.assignments()
        if not names:
            raise CourseError(f"No assignments found in {course.source}.")
        return names
    return [course.check_assignment(name)]


def cmd_release(args) -> int:
    from .release import authoring_problems, differences, release

    course = _course()
    names = _assignments(course, args.assignment)
    problems = authoring_problems(course, names)
    if problems:  # refused, with or without --check: one line per problem
        for line in problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.check:
        stale = [d for name in names for d in differences(course, name)]
        if stale:
            print("release/ is out of date with source/ (run `dlcourse release all`):", file=sys.stderr)
            for d in stale:
                print(f"  {d}", file=sys.stderr)
            return EXIT_SOME_FAILED
        print(f"release/ is up to date for {', '.join(names)}.")
        return EXIT_OK
    for path in release(course, names):
        print(f"released {path.relative_to(course.root)}")
    return EXIT_OK


def cmd_grade(args) -> int:
    from .engine.batch import Limits
    from .grade import grade
    from .report import write_report
    from .results import format_table

    course = _course()
    limits = Limits(memory=_parse_size(args.memory), cell_timeout=min(args.cell_timeout, args.timeout),
                    total_timeout=args.timeout)
    if args.slurm:
        from .slurm import grade_sharded

        passthrough = ["--timeout", str(args.timeout), "--cell-timeout", str(args.cell_timeout),
                       "--memory", args.memory]
        passthrough += ["--feedback-details"] * args.feedback_details + ["--unsafe-no-sandbox"] * args.unsafe_no_sandbox
        rows = grade_sharded(course, args.assignment, args.submissions_dir, args.out, args.shards,
                             _slurm_options(course, args, "grade"), passthrough, db_url=args.db_url,
                             progress=not args.quiet)
    else:
        rows = grade(course, args.assignment, args.submissions_dir, args.out, args.jobs, progress=not args.quiet,
                     limits=limits, use_sandbox=not args.unsafe_no_sandbox, show_details=args.feedback_details,
                     shard=args.shard, db_url=args.db_url)
    rows = _apply_lateness(course, args.term, args.assignment, args.submissions_dir, args.out) or rows
    print(format_table(rows))
    report = write_report(args.out)
    print(f"\nWrote {args.out / 'grades.csv'}, {report} and {args.out / 'feedback'}/")
    return EXIT_OK if all(r.status == "graded" for r in rows) else EXIT_SOME_FAILED


def _term(course, given):
    from . import term

    return term.load(term.find(course.root, given))


def _apply_lateness(course, term_path, assignment, submissions_dir, out):
    """grades.csv rows of ``assignment`` with late days and penalties, if the folder has submission times."""
    from . import lateness
    from .collect import MANIFEST

    if not (Path(submissions_dir) / MANIFEST).is_file():
        return None  # laid out by hand: no LMS times, nothing can be called late
    rows = lateness.apply(_term(course, term_path), assignment, submissions_dir, out)
    late = [r for r in rows if r.late_days]
    if late:
        print(f"{len(late)} late submission(s); penalties are in grades.csv's penalty column, scores unchanged")
    return rows


def cmd_collect(args) -> int:
    from . import collect

    return collect.run(args)


def cmd_similarity(args) -> int:
    from . import similarity

    return similarity.run(args)


def cmd_feedback(args) -> int:
    from .handback import hand_back
    from .report import write_report

    course = _course()
    url = _graded_out(args.out, args.db_url)
    for name in _assignments(course, args.assignment):
        pages, upload = hand_back(args.out, name, url, args.submissions)
        print(f"{name}: {len(pages)} feedback page(s) in {args.out / 'handback' / name}/"
              + (f"; Canvas upload: {upload}" if upload else
                 " (no Canvas upload: give --submissions, the folder `dlcourse collect canvas` wrote)"))
    write_report(args.out)
    return EXIT_OK


def cmd_course_grades(args) -> int:
    from . import course_grades
    from .report import write_report
    from .results import read_rows
    from .roster import read_roster

    course = _course()
    term = _term(course, args.term)
    rows = read_rows(args.out / "grades.csv")
    if not rows:
        raise CourseError(f"No grades in {args.out / 'grades.csv'}: grade the assignments with --out {args.out} first.")
    roster = read_roster(args.roster, id_column=term.student_id) if args.roster else None
    project, team_of = course_grades.project_points(term, args.teams, args.project_scores, args.adjustments)
    if not team_of and term.grades.project:
        print("No project scores given (--teams, --project-scores): the project counts 0 for everyone")
    if roster is not None:
        students = [(s.student_id, s.name) for s in roster]
        unknown = sorted({r.student_id for r in rows} - {sid for sid, _ in students})
        if unknown:
            print(f"not on the roster, left out: {', '.join(unknown)}")
    else:
        students = [(sid, "") for sid in sorted({r.student_id for r in rows} | set(project))]
    grades = course_grades.compute(term, rows, students, project, team_of or None)
    path = course_grades.write(args.out, term, grades)
    print(f"Wrote {path} ({len(grades)} students)")
    if roster is not None:
        print(f"Wrote {course_grades.write_canvas_import(args.out, term, grades, roster)} for Canvas's Grades > Import")
    else:
        print("No Canvas import file: give --roster (Canvas's gradebook export) to write one")
    for g in grades:
        if g.missing or g.pending:
            print(f"  {g.student_id}: " + "; ".join(filter(None, [
                f"missing {', '.join(g.missing)}" if g.missing else "",
                f"not graded yet: {', '.join(g.pending)}" if g.pending else ""])))
    write_report(args.out)
    return EXIT_OK


def cmd_run_notebooks(args) -> int:
    from .notebook_runner import collect, execute

    course = _course()
    notebooks = args.notebooks or sorted((course.root / "notebooks").glob("*.ipynb"))
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        raise CourseError(f"Notebook(s) not found: {', '.join(missing)}")
    if not notebooks:
        raise CourseError(f"No notebooks to run in {course.root / 'notebooks'}.")
    out = args.out.resolve()
    if args.slurm:
        from .slurm import run_notebooks_slurm

        run_notebooks_slurm(course, list(notebooks), out, args.fast, _slurm_options(course, args, "notebooks"),
                            args.cell_timeout)
    else:
        for nb in notebooks:
            st = execute(nb.resolve(), out, args.fast, args.cell_timeout)
            print(f"{st['notebook']}: {st['status']} in {st['seconds']} s" + (f" ({st['error']})" * bool(st["error"])))
    print(collect(out, course.root / "full-mode.json" if args.update_results else None))
    print(f"Wrote {out / 'RESULTS.md'} (executed notebooks and figures beside it)")
    statuses = [out / f"{nb.stem}.json" for nb in notebooks]
    ok = all(p.exists() and '"status": "ok"' in p.read_text() for p in statuses)
    return EXIT_OK if ok else EXIT_SOME_FAILED


def _graded_out(out: Path, db_url: str | None) -> str:
    from .gradebook import default_url

    if not (out / "grades.csv").exists():
        raise CourseError(f"{out / 'grades.csv'} does not exist: give the --out folder of `dlcourse grade`.")
    url = db_url or default_url(out)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise CourseError(f"No gradebook at {url.removeprefix('sqlite:///')}: grade again without --db-url none.")
    return url


def cmd_formgrader(args) -> int:
    from .gradebook import formgrader_root, write_formgrader_config
    from .nbgrader_api import _put_env_bin_on_path

    url = _graded_out(args.out, args.db_url)
    write_formgrader_config(args.out, url)
    root = formgrader_root(args.out)
    _put_env_bin_on_path()
    server_cfg = root / "jupyter_server_config.py"
    server_cfg.write_text("c = get_config()  # noqa: F821\n"
                          "c.ServerApp.jpserver_extensions = {'nbgrader.server_extensions.formgrader': True}\n")
    cmd = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--ip={args.ip}", f"--port={args.port}",
           f"--ServerApp.root_dir={root}", f"--config={server_cfg}"]
    if args.token is not None:
        cmd.append(f"--IdentityProvider.token={args.token}")
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    print(f"formgrader: http://{args.ip}:{args.port}/formgrader (course folder {root}); Ctrl-C stops it", flush=True)
    os.chdir(root)
    os.execv(sys.executable, cmd)


def cmd_export(args) -> int:
    from .gradebook import apply_manual_grades
    from .report import write_report
    from .results import format_table, read_rows

    course = _course()
    url = _graded_out(args.out, args.db_url)
    names = _assignments(course, args.assignment)
    for name in names:
        apply_manual_grades(args.out, name, url)
    rows = [r for r in read_rows(args.out / "grades.csv") if r.assignment in names]
    print(format_table(rows))
    print(f"\nUpdated {args.out / 'grades.csv'} with the manual grades in the gradebook; {write_report(args.out)}")
    return EXIT_OK


def cmd_badges(args) -> int:
    from .badges import update

    course = _course()
    changed = update(course)
    for path in changed:
        print(f"updated {path.relative_to(course.root)}")
    if any(p.is_relative_to(course.source) for p in changed):
        print("source/ changed: run `dlcourse release all` to regenerate release/")
    print(f"{len(changed)} notebook(s) changed.")
    return EXIT_OK


def cmd_publish(args) -> int:
    from .publish import check

    if not args.check:
        from .badges import update
        from .release import release

        course = _course()
        changed = update(course)
        print(f"{len(changed)} notebook(s) pointed at [tool.dlcourse].")
        if any(p.is_relative_to(course.source) for p in changed):
            for path in release(course, course.assignments()):
                print(f"released {path.relative_to(course.root)}")
        print("Commit and push, then run `dlcourse publish --check` to verify what students will open.")
        return EXIT_OK
    problems, summary = check(_course())
    for line in problems:
        print(f"publish check: {line}", file=sys.stderr)
    if problems:
        return EXIT_SOME_FAILED
    print(f"publish check: {summary}")
    return EXIT_OK


def _parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except ValueError:
        raise CourseError(f"--memory {text!r} is not a size; use e.g. 4G or 512M") from None


def cmd_demo(args) -> int:
    from .grade import grade
    from .release import release
    from .report import write_report
    from .results import format_table, read_rows

    course = _course()
    started = time.perf_counter()
    names = _assignments(course, "all")
    print(f"== Releasing {len(names)} assignment(s) from source/ to release/")
    for path in release(course, names):
        print(f"released {path.relative_to(course.root)}")
    samples = course.samples
    graded = [n for n in names if samples.is_dir() and any((s / n).is_dir() for s in samples.iterdir())]
    out = args.out
    if (out / "grades.csv").exists():
        os.remove(out / "grades.csv")  # the demo always starts from a clean report
    rows = []
    for name in graded:
        print(f"\n== Autograding the sample submissions of {name} ({samples.relative_to(course.root)})")
        with tempfile.TemporaryDirectory(prefix="dlcourse-demo-") as tmp:
            # Only the sample students who have this assignment: the others did not "forget" it.
            for student in sorted(p for p in samples.iterdir() if (p / name).is_dir()):
                shutil.copytree(student / name, Path(tmp) / student.name / name)
            rows += grade(course, name, Path(tmp), out, args.jobs)
    rows = read_rows(out / "grades.csv")
    print("\n== Grade report")
    print(format_table(rows))
    report = write_report(out)
    print(f"\nWrote {out / 'grades.csv'}, the class report {report} and per-student feedback in "
          f"{out / 'feedback'}/ ({time.perf_counter() - started:.1f} s)")
    return EXIT_OK if all(r.status == "graded" for r in rows) else EXIT_SOME_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
