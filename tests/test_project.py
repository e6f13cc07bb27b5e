"""The course project (project/): ideas, rubrics, templates and the example grade files.

- ideas.md: at least 15 ideas, each with every field; each names existing lecture notebooks (number
  and title as in the notebook), a data source whose loader exists, and baseline code that the named
  notebook defines.
- rubrics.md: the points of each component's table add up to 5, 10 and 25.
- templates/: the required headings; the lightning talk's timings add up to 5 minutes.
- *.example.csv: the columns README.md documents, teams of 3-4, every team scored on every component,
  factors within the bounds of the adjustment rule.
"""

import csv
import importlib
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import pytest

import course_utils

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "project"
NOTEBOOKS = ROOT / "notebooks"

FIELDS = ("Lectures", "Question", "Data", "Baseline", "Measure", "Stretch", "Risk")
MAX_POINTS = {"proposal": Decimal(5), "lightning_talk": Decimal(10), "report": Decimal(25)}
RUBRIC_SECTIONS = {"Proposal": "proposal", "Lightning talk": "lightning_talk", "Final report": "report"}
RUBRIC_COLUMNS = ["criterion", "points", "full credit", "partial credit", "no credit"]
FACTOR_MIN, FACTOR_MAX = Decimal("0.80"), Decimal("1.20")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


# ---------------------------------------------------------------------------------------------------
# ideas.md


@dataclass
class Idea:
    number: int
    title: str
    order: list  # field names in the order they appear
    fields: dict  # field name -> text (whitespace collapsed)


def parse_ideas(text: str) -> list[Idea]:
    ideas = []
    for section in re.split(r"^(?=## )", text, flags=re.M):
        m = re.match(r"## (\d+)\. (.+)\n", section)
        if not m:
            continue
        order, fields = [], {}
        for f in re.finditer(r"^- \*\*([A-Za-z ]+):\*\* (.+?)(?=^- \*\*|\Z)", section[m.end():], re.M | re.S):
            order.append(f.group(1))
            fields[f.group(1)] = " ".join(f.group(2).split())
        ideas.append(Idea(int(m.group(1)), m.group(2).strip(), order, fields))
    return ideas


IDEAS = parse_ideas((PROJECT / "ideas.md").read_text(encoding="utf-8"))
LECTURE_LINK = re.compile(r"\[(\d\d)\. ([^\]]+)\]\(\.\./notebooks/((\d\d)_\w+)\.ipynb\)")


@cache
def notebook(stem: str) -> dict:
    """Title ('NN. Title' from the first '# ' heading) and names defined (def/class) in a lecture notebook."""
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    title = None
    for cell in nb["cells"]:
        m = re.search(r"^# (\d\d\. .+?)\s*$", "".join(cell["source"]), re.M)
        if cell["cell_type"] == "markdown" and m:
            title = m.group(1)
            break
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return {"title": title, "defines": set(re.findall(r"^\s*(?:def|class)\s+(\w+)", code, re.M))}


def idea_id(idea: Idea) -> str:
    return f"idea{idea.number:02d}"


def lecture_stems(idea: Idea) -> list[str]:
    return [m.group(3) for m in LECTURE_LINK.finditer(idea.fields.get("Lectures", ""))]


def test_at_least_15_ideas_numbered_in_order():
    assert len(IDEAS) >= 15, f"ideas.md has {len(IDEAS)} ideas ('## N. Title' headings); at least 15 are required"
    assert [i.number for i in IDEAS] == list(range(1, len(IDEAS) + 1)), "ideas are numbered 1, 2, 3, ..."
    titles = [i.title.lower() for i in IDEAS]
    assert len(set(titles)) == len(titles), "two ideas have the same title"


@pytest.mark.parametrize("idea", IDEAS, ids=idea_id)
def test_idea_has_every_field_once_in_order(idea):
    assert tuple(idea.order) == FIELDS, (
        f"idea {idea.number}: fields must be exactly {', '.join(FIELDS)} in this order, as '- **Field:** text'; "
        f"found {idea.order}"
    )
    for name in FIELDS:
        assert len(idea.fields[name]) >= 30, f"idea {idea.number}: **{name}:** is too short to be concrete"
    assert "?" in idea.fields["Question"], f"idea {idea.number}: **Question:** should ask a question"


@pytest.mark.parametrize("idea", IDEAS, ids=idea_id)
def test_idea_links_existing_lectures_by_number_and_title(idea):
    text = idea.fields["Lectures"]
    links = list(LECTURE_LINK.finditer(text))
    assert links, f"idea {idea.number}: **Lectures:** links no notebook as [NN. Title](../notebooks/NN_name.ipynb)"
    for m in links:
        number, title, stem, file_number = m.groups()
        path = NOTEBOOKS / f"{stem}.ipynb"
        assert path.exists(), f"idea {idea.number}: {path.relative_to(ROOT)} does not exist"
        assert number == file_number, f"idea {idea.number}: link text says {number}, the file is {stem}"
        actual = notebook(stem)["title"]
        assert f"{number}. {title}" == actual, (
            f"idea {idea.number}: link text '{number}. {title}' differs from the notebook's title '{actual}'"
        )
    leftover = LECTURE_LINK.sub("", text)
    assert not leftover.strip(" ;,"), f"idea {idea.number}: **Lectures:** has text besides lecture links: {leftover!r}"


def test_ideas_cover_every_lecture_after_the_tutorial():
    covered = {stem[:2] for idea in IDEAS for stem in lecture_stems(idea)}
    lectures = {p.name[:2] for p in NOTEBOOKS.glob("*.ipynb")} - {"00"}
    assert lectures <= covered, f"no idea builds on lecture(s) {sorted(lectures - covered)}"


# Data sources: each pattern is one kind of loader reachable from Colab.
DATA_SOURCES = {
    "torchvision": re.compile(r"torchvision\.datasets\.([A-Za-z0-9]+)"),
    "hugging face": re.compile(r'datasets\.load_dataset\("([\w.-]+/[\w.-]+)"'),
    "gymnasium": re.compile(r'gymnasium\.make\("([\w/-]+-v\d+)"\)'),
    "pytorch geometric": re.compile(r"torch_geometric\.datasets\.([A-Za-z0-9]+)"),
    "ogb": re.compile(r'ogb\.\w+\.\w+\(name="(ogb[gnl]-[\w-]+)"\)'),
    "scikit-learn": re.compile(r"sklearn\.datasets\.(\w+)"),
    "course_utils": re.compile(r"\b(?:cu|course_utils)\.([\w.]+)"),
    "public repository file": re.compile(r"https://github\.com/[\w.-]+/[\w.-]+"),
}


def data_sources(idea: Idea) -> dict[str, list[str]]:
    text = idea.fields.get("Data", "")
    return {kind: pattern.findall(text) for kind, pattern in DATA_SOURCES.items() if pattern.search(text)}


@pytest.mark.parametrize("idea", IDEAS, ids=idea_id)
def test_idea_names_a_data_source(idea):
    assert data_sources(idea), (
        f"idea {idea.number}: **Data:** names no loader ({', '.join(DATA_SOURCES)})"
    )


def test_named_loaders_exist():
    """torchvision classes, gymnasium ids, scikit-learn loaders and course_utils helpers named in Data fields."""
    torchvision = pytest.importorskip("torchvision")
    gymnasium = pytest.importorskip("gymnasium")
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    import course_utils

    missing = []
    for idea in IDEAS:
        found = data_sources(idea)
        text = idea.fields["Data"]
        missing += [f"idea {idea.number}: torchvision.datasets.{n}" for n in found.get("torchvision", [])
                    if not hasattr(torchvision.datasets, n)]
        missing += [f"idea {idea.number}: torchvision.transforms.v2.{n}"
                    for n in re.findall(r"torchvision\.transforms\.v2\.(\w+)", text)
                    if not hasattr(importlib.import_module("torchvision.transforms.v2"), n)]
        missing += [f"idea {idea.number}: gymnasium id {n}" for n in found.get("gymnasium", [])
                    if n not in gymnasium.envs.registry]
        missing += [f"idea {idea.number}: sklearn.datasets.{n}" for n in found.get("scikit-learn", [])
                    if not hasattr(sklearn_datasets, n)]
        for dotted in found.get("course_utils", []):
            if not _resolves(course_utils, dotted):
                missing.append(f"idea {idea.number}: course_utils.{dotted}")
    assert not missing, "named in ideas.md but not found: " + "; ".join(missing)


def _resolves(package, dotted: str) -> bool:
    obj, prefix = package, package.__name__
    for part in dotted.split("."):
        prefix += f".{part}"
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(prefix)
            except ImportError:
                return False
    return True


@pytest.mark.parametrize("idea", IDEAS, ids=idea_id)
def test_baseline_starts_from_a_listed_lecture_and_names_its_code(idea):
    text = idea.fields["Baseline"]
    stems = re.findall(r"`(\d\d_\w+)\.ipynb`", text)
    assert stems, f"idea {idea.number}: **Baseline:** names no notebook as `NN_name.ipynb`"
    listed = set(lecture_stems(idea))
    assert set(stems) <= listed, (
        f"idea {idea.number}: baseline notebook(s) {sorted(set(stems) - listed)} are not among its **Lectures:**"
    )
    defined = set().union(*(notebook(s)["defines"] for s in stems))
    names = [n for n in re.findall(r"`([^`]+)`", text) if re.fullmatch(r"[A-Za-z_]\w*", n)]
    assert names, f"idea {idea.number}: **Baseline:** names no function or class to start from"
    unknown = [n for n in names if n not in defined]
    assert not unknown, f"idea {idea.number}: {unknown} are not defined in {stems}"
    shared = re.findall(r"`cu\.(\w+)`", text)  # code the lectures share lives in course_utils
    assert not [n for n in shared if n not in course_utils.__all__], f"idea {idea.number}: unknown {shared}"


# ---------------------------------------------------------------------------------------------------
# rubrics.md


def parse_rubrics(text: str) -> dict[str, dict]:
    """'## Name (N points)' followed by a table: component -> {"max": N, "header": [...], "rows": [[...]]}."""
    rubrics = {}
    for section in re.split(r"^(?=## )", text, flags=re.M):
        m = re.match(r"## (.+?) \((\d+(?:\.\d+)?) points\)\n", section)
        if not m:
            continue
        table = [line for line in section.splitlines() if line.startswith("|")]
        cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table]
        assert len(cells) >= 3, f"rubric '{m.group(1)}' has no table"
        rubrics[RUBRIC_SECTIONS.get(m.group(1), m.group(1))] = {
            "max": Decimal(m.group(2)), "header": cells[0], "rows": cells[2:],
        }
    return rubrics


RUBRICS_TEXT = (PROJECT / "rubrics.md").read_text(encoding="utf-8")
RUBRICS = parse_rubrics(RUBRICS_TEXT)


def test_rubrics_exist_for_exactly_the_three_components():
    assert set(RUBRICS) == set(MAX_POINTS), (
        f"rubrics.md sections: {sorted(RUBRICS)}; expected '## Proposal (5 points)', "
        f"'## Lightning talk (10 points)', '## Final report (25 points)'"
    )


@pytest.mark.parametrize("component", sorted(MAX_POINTS))
def test_rubric_points_add_up_to_the_component_maximum(component):
    rubric = RUBRICS[component]
    assert rubric["max"] == MAX_POINTS[component], f"{component}: heading says {rubric['max']} points"
    assert [h.lower() for h in rubric["header"]] == RUBRIC_COLUMNS
    total = Decimal(0)
    criteria = []
    for row in rubric["rows"]:
        assert len(row) == len(RUBRIC_COLUMNS) and all(row), f"{component}: incomplete rubric row {row}"
        points = Decimal(row[1])
        assert points > 0 and points % Decimal("0.25") == 0, f"{component}: '{row[0]}' has {points} points"
        criteria.append(row[0].lower())
        total += points
    assert len(set(criteria)) == len(criteria), f"{component}: a criterion appears twice"
    assert total == MAX_POINTS[component], f"{component}: criteria add up to {total}, not {MAX_POINTS[component]}"


def test_adjustment_rule_is_stated_with_the_same_bounds():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for name, text in (("README.md", readme), ("rubrics.md", RUBRICS_TEXT)):
        assert "[0.80, 1.20]" in text, f"{name} does not state the factor bounds [0.80, 1.20]"
        assert "min(max_points" in text, f"{name} does not give the member-score formula"


# ---------------------------------------------------------------------------------------------------
# templates/

TEMPLATE_HEADINGS = {
    "proposal.md": ["Question", "Related work", "Data", "Baseline", "Plan and milestones", "Risks and fallback",
                    "Team roles", "Compute", "Acknowledgements", "References"],
    "lightning_talk.md": ["Format", "Slide-by-slide outline", "Timing"],
    "final_report.md": ["Abstract", "1 Introduction", "2 Related work", "3 Method", "4 Experimental setup",
                        "5 Results", "6 Ablations", "7 Limitations", "8 Conclusion", "Contributions",
                        "Acknowledgements", "References", "Appendix A: Reproducibility checklist"],
}


def headings(text: str, level: int = 2) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+?)\s*$", text, re.M)


@pytest.mark.parametrize("name", sorted(TEMPLATE_HEADINGS))
def test_template_has_its_required_headings_in_order(name):
    path = PROJECT / "templates" / name
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    found = headings(path.read_text(encoding="utf-8"))
    required = TEMPLATE_HEADINGS[name]
    missing = [h for h in required if h not in found]
    assert not missing, f"{name} lacks the heading(s) {missing}"
    positions = [found.index(h) for h in required]
    assert positions == sorted(positions), f"{name}: headings {required} are not in this order"


@pytest.mark.parametrize("name", ["proposal.md", "final_report.md"])
def test_acknowledgements_ask_for_collaborators_and_ai_use(name):
    text = (PROJECT / "templates" / name).read_text(encoding="utf-8")
    section = text.split("## Acknowledgements", 1)[1].split("\n## ", 1)[0]
    assert "**Collaborators:**" in section and "**AI use:**" in section


def test_report_has_a_contributions_section_and_a_reproducibility_checklist():
    text = (PROJECT / "templates" / "final_report.md").read_text(encoding="utf-8")
    contributions = text.split("## Contributions", 1)[1].split("\n## ", 1)[0]
    assert "student id" in contributions, "one line per member, with the student id"
    checklist = text.split("## Appendix A: Reproducibility checklist", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^- \[ \] ", checklist, re.M)) >= 8, "the reproducibility checklist has too few items"
    assert re.search(r"error bars", text, re.I) and re.search(r"baseline", text, re.I)


def _seconds(clock: str) -> int:
    minutes, seconds = clock.split(":")
    return int(minutes) * 60 + int(seconds)


def test_lightning_talk_slides_fill_exactly_five_minutes():
    text = (PROJECT / "templates" / "lightning_talk.md").read_text(encoding="utf-8")
    slides = [re.fullmatch(r"Slide (\d+): .+ \((\d+:\d\d)-(\d+:\d\d)\)", h) for h in headings(text, 3)]
    assert slides and all(slides), "slide headings are '### Slide N: Title (m:ss-m:ss)'"
    assert [int(s.group(1)) for s in slides] == list(range(1, len(slides) + 1))
    clock = 0
    for s in slides:
        start, end = _seconds(s.group(2)), _seconds(s.group(3))
        assert start == clock and end > start, f"slide {s.group(1)} does not start where the previous one ended"
        clock = end
    assert clock == 300, f"the slides end at {clock} s, not at 5:00"
    table = re.findall(r"^\| (\d+) \|.*\| (\d+) \|$", text.split("## Timing", 1)[1], re.M)
    assert [int(sec) for _, sec in table] == [_seconds(s.group(3)) - _seconds(s.group(2)) for s in slides], (
        "the timing table disagrees with the slide headings"
    )


# ---------------------------------------------------------------------------------------------------
# The example files the course-grade command reads


def read_csv(name: str, columns: list[str]) -> list[dict]:
    path = PROJECT / name
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == columns, f"{name}: header {reader.fieldnames}, documented {columns}"
        rows = [{k: v.strip() for k, v in row.items()} for row in reader]
    for i, row in enumerate(rows, start=2):
        assert None not in row and all(row.values()), f"{name} line {i}: missing or extra values"
    return rows


def decimal(value: str, name: str) -> Decimal:
    assert re.fullmatch(r"\d+(\.\d{1,2})?", value), f"{name}: '{value}' is not a plain decimal with <= 2 decimals"
    return Decimal(value)


@cache
def teams() -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for row in read_csv("teams.example.csv", ["team", "student_id"]):
        assert ID.fullmatch(row["team"]) and ID.fullmatch(row["student_id"]), f"bad id in {row}"
        members.setdefault(row["team"], []).append(row["student_id"])
    return members


def test_teams_have_three_or_four_members_and_each_student_one_team():
    students = [s for members in teams().values() for s in members]
    assert len(students) == len(set(students)), "a student is listed twice"
    for team, members in teams().items():
        assert 3 <= len(members) <= 4, f"{team} has {len(members)} members"


@cache
def scores() -> dict[tuple[str, str], Decimal]:
    result = {}
    for row in read_csv("scores.example.csv", ["team", "component", "score"]):
        key = (row["team"], row["component"])
        assert row["team"] in teams(), f"scores: unknown team {row['team']}"
        assert row["component"] in MAX_POINTS, f"scores: unknown component {row['component']}"
        assert key not in result, f"scores: {key} appears twice"
        score = decimal(row["score"], "scores.example.csv")
        assert 0 <= score <= MAX_POINTS[row["component"]], f"scores: {key} = {score} is out of range"
        result[key] = score
    return result


def test_every_team_is_scored_on_every_component():
    missing = [(t, c) for t in teams() for c in MAX_POINTS if (t, c) not in scores()]
    assert not missing, f"no score for {missing}"


@cache
def factors() -> dict[tuple[str, str], Decimal]:
    students = {s for members in teams().values() for s in members}
    result = {}
    for row in read_csv("adjustments.example.csv", ["student_id", "component", "factor"]):
        key = (row["student_id"], row["component"])
        assert row["student_id"] in students, f"adjustments: unknown student {row['student_id']}"
        assert row["component"] in MAX_POINTS, f"adjustments: unknown component {row['component']}"
        assert key not in result, f"adjustments: {key} appears twice"
        factor = decimal(row["factor"], "adjustments.example.csv")
        assert FACTOR_MIN <= factor <= FACTOR_MAX, f"adjustments: {key} factor {factor} is outside [0.80, 1.20]"
        result[key] = factor
    return result


def test_adjustments_are_valid():
    assert factors(), "the example should show at least one adjustment"


def member_scores() -> dict[tuple[str, str], Decimal]:
    """README's rule: min(max_points, round_half_up(team_score * factor, 2)); the factor defaults to 1."""
    out = {}
    for team, members in teams().items():
        for student in members:
            for component, top in MAX_POINTS.items():
                raw = scores()[(team, component)] * factors().get((student, component), Decimal(1))
                out[(student, component)] = min(top, raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return out


def test_readme_documents_the_files_and_its_worked_example_holds():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for header in ("team,student_id", "team,component,score", "student_id,component,factor"):
        assert f"`{header}`" in readme, f"README.md does not document the columns `{header}`"
    for component in MAX_POINTS:
        assert f"`{component}`" in readme
    assert "## Files the course-grade command reads" in readme
    result = member_scores()
    assert result[("stu003", "report")] == Decimal("18.28") and "= 18.28" in readme
    assert result[("stu006", "report")] == Decimal(25) and "min(25, 25.85) = 25" in readme
    assert all(0 <= v <= MAX_POINTS[c] for (_, c), v in result.items())
