"""Instructors' model solutions of the lectures' exercises (instructors/lectures/NN_name.md).

Each lecture ends with a `## Exercises` markdown section whose exercises are a numbered list
(`1. ...`, continuation lines indented); a bold `**Exercise K...**` paragraph per exercise is also
understood. Its solutions file must have one `## Exercise K: <title>` heading per exercise, in order,
each followed by the exercise quoted (`> ...`), and its python code blocks must compile. The folder
must stay out of what students see: nothing in notebooks/ or release/ points to it, and the website
build (tools/site_build.py) reads no folder but its known inputs.
"""

import json
import re

import pytest
from helpers import ROOT

LECTURES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = ROOT / "instructors" / "lectures"
INSTRUCTORS = ROOT / "instructors"
QUOTE_CHARS = 60  # compared prefix of the quoted exercise text, whitespace normalised

HEADING = re.compile(r"^#{1,2}\s")  # the end of the Exercises section: the next heading of level 1-2
NUMBERED = re.compile(r"^(\d+)[.)]\s+(.*)")  # a top-level item of a numbered list
BOLD_EXERCISE = re.compile(r"^\*\*Exercise\s*(\d+)\b[^*]*\*\*\s*(.*)", re.I)


def normalise(text: str) -> str:
    return " ".join(text.split())


def exercises_section(path) -> str:
    """The text of the lecture's `## Exercises` section: from that heading to the next heading of
    level 1 or 2 in the same markdown cell, or to the end of the cell."""
    cells = json.loads(path.read_text())["cells"]
    found = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).splitlines()
        for i, line in enumerate(lines):
            if re.match(r"^##\s+Exercises\s*$", line.strip()):
                body = []
                for nxt in lines[i + 1:]:
                    if HEADING.match(nxt):
                        break
                    body.append(nxt)
                found.append("\n".join(body))
    assert len(found) == 1, f"{path.name}: expected one '## Exercises' heading, found {len(found)}"
    return found[0]


def lecture_exercises(path) -> list[str]:
    """The exercises of a lecture, in order, as whitespace-normalised text without their number."""
    items: list[list[str]] = []
    numbers: list[int] = []
    for line in exercises_section(path).splitlines():
        m = NUMBERED.match(line) or BOLD_EXERCISE.match(line)
        if m:
            numbers.append(int(m.group(1)))
            items.append([m.group(2)])
        elif items and line.strip():
            items[-1].append(line)  # a continuation line of the current item (or paragraph)
    assert items, f"{path.name}: no numbered exercises ('1. ...') found under '## Exercises'"
    assert numbers == list(range(1, len(numbers) + 1)), f"{path.name}: exercises numbered {numbers}"
    return [normalise(" ".join(item)) for item in items]


def solution_file(path):
    return SOLUTIONS / f"{path.stem}.md"


def solution_exercises(text: str) -> list[tuple[int, str, str]]:
    """(number, title, quoted text) for every `## Exercise K: title` heading of a solutions file."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^##\s+Exercise\s+(\d+)\s*:\s*(.*)$", line)
        if not m:
            continue
        quote = []
        for nxt in lines[i + 1:]:
            if nxt.startswith(">"):
                quote.append(nxt[1:])
            elif quote or nxt.strip():
                break  # the quote is the first block after the heading
        text_quoted = normalise(" ".join(quote))
        text_quoted = re.sub(r"^(\d+[.)]\s+|\*\*Exercise\s*\d+[^*]*\*\*\s*)", "", text_quoted)
        out.append((int(m.group(1)), m.group(2).strip(), text_quoted))
    return out


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.S | re.M)


def test_every_lecture_has_a_parsable_exercises_section():
    assert len(LECTURES) == 17, [p.name for p in LECTURES]
    for path in LECTURES:
        assert len(lecture_exercises(path)) >= 1


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_solutions_match_the_lecture_exercises(path):
    sol = solution_file(path)
    assert sol.is_file(), f"no model solutions for {path.name}: write {sol.relative_to(ROOT)}"
    wanted = lecture_exercises(path)
    got = solution_exercises(sol.read_text())
    assert [k for k, _, _ in got] == list(range(1, len(wanted) + 1)), (
        f"{sol.name}: '## Exercise K:' headings numbered {[k for k, _, _ in got]}, "
        f"but {path.name} has {len(wanted)} exercises")
    for (k, title, quoted), text in zip(got, wanted):
        assert title, f"{sol.name}: exercise {k} has no title"
        assert quoted, f"{sol.name}: exercise {k} does not quote the exercise ('> ...' after the heading)"
        assert quoted[:QUOTE_CHARS] == text[:QUOTE_CHARS], (
            f"{sol.name}: exercise {k} quotes {quoted[:QUOTE_CHARS]!r}, the lecture says {text[:QUOTE_CHARS]!r}")


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_solution_code_compiles(path):
    sol = solution_file(path)
    if not sol.is_file():
        pytest.fail(f"no model solutions for {path.name}")
    for i, block in enumerate(code_blocks(sol.read_text())):
        compile(block, f"{sol.name}[python block {i + 1}]", "exec")


def test_no_stray_solution_files():
    stems = {p.stem for p in LECTURES}
    stray = [p.name for p in SOLUTIONS.glob("*.md") if p.stem not in stems]
    assert not stray, f"solutions without a lecture: {stray}"


def test_instructors_folder_is_not_referenced_from_student_material():
    assert (INSTRUCTORS / "README.md").is_file()
    for folder in ("notebooks", "release"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or ".ipynb_checkpoints" in path.parts:
                continue
            try:
                text = path.read_text()
            except (UnicodeDecodeError, OSError):
                continue
            assert "instructors/" not in text, f"{path.relative_to(ROOT)} refers to the instructors' folder"


def test_site_build_does_not_publish_instructors():
    # The website is built from build/site-src/, which tools/site_build.py writes from the lectures
    # (notebooks/), the student homework (release/), README.md's course table and RESULTS.md only.
    text = (ROOT / "tools" / "site_build.py").read_text()
    assert "instructors" not in text
    allowed = {"notebooks", "release", "README.md", "RESULTS.md", "pyproject.toml", "build", "site"}
    read = set(re.findall(r'ROOT\s*/\s*"([^"/]+)', text))
    read |= {g.split("/")[0] for g in re.findall(r'ROOT\.r?glob\(\s*"([^"]+)"', text)}
    assert read and read <= allowed, (
        f"tools/site_build.py reads {sorted(read - allowed)} from the repository: check that no "
        "instructors' material reaches the website, then extend `allowed` in this test")
