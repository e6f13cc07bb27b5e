"""Manual grading end to end, in a real browser: formgrader on our gradebook, driven by headless
Chromium. A grader finds the submission whose written answer waits, enters a score and a comment,
and `dlcourse export` brings both into grades.csv and manual_grades.csv. Screenshots of every step
are kept in build/test-artifacts/formgrader/.
"""

import csv
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import DLCOURSE, ROOT, dlcourse
from local_services import headless_chromium

from autograder.engine import sandbox

SAMPLES = ROOT / "autograder" / "submissions"
ARTIFACTS = ROOT / "build" / "test-artifacts" / "formgrader"
TOKEN = "dlcourse-test-token"

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for name in ("perfect", "untouched", "partial"):
        shutil.copytree(SAMPLES / name / "hw0", subs / name / "hw0")
    out = tmp_path_factory.mktemp("out")
    result = dlcourse("grade", "hw0", subs, "--out", out, "--jobs", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def formgrader(graded):
    port = _port()
    proc = subprocess.Popen([*DLCOURSE, "formgrader", "--out", str(graded), "--port", str(port), "--token", TOKEN],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/formgrader/api/assignments?token={TOKEN}", timeout=5)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"formgrader exited: {proc.stdout.read()[-1500:]}")
            time.sleep(1)
    else:
        proc.terminate()
        pytest.fail("formgrader did not answer within 90 s")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with headless_chromium("dlcourse-chromium-", "1400,1000") as driver:
        driver.implicitly_wait(0)
        yield driver


def _wait(driver, css, timeout=60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))


def test_a_grader_scores_a_written_answer_in_formgrader(graded, formgrader, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    shot = lambda name: browser.save_screenshot(str(ARTIFACTS / name))  # noqa: E731

    # Log in as a grader does, with the server's token (a ?token= URL would not cover the page's API calls).
    browser.get(f"{formgrader}/login?next=/formgrader/gradebook/hw0/hw0")
    _wait(browser, "input[name=password]").send_keys(TOKEN, Keys.ENTER)
    _wait(browser, "table tbody tr .name a")
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "table tbody tr")) == 3)
    shot("01-submissions.png")
    waiting = [r for r in browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
               if r.find_element(By.CSS_SELECTOR, ".needs-manual-grade").text.strip()
               or r.find_elements(By.CSS_SELECTOR, ".needs-manual-grade span")]
    assert len(waiting) == 1, "exactly one submission (the perfect one) has a written answer waiting"
    waiting[0].find_element(By.CSS_SELECTOR, ".name a").click()

    score = _wait(browser, "input.score#written_stability")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", score)
    shot("02-submission.png")
    score.clear()
    score.send_keys("1.5", Keys.TAB)
    comment = _wait(browser, "textarea.comment#written_stability-comment")
    comment.send_keys("Shift cancels and no overflow: right. The underflow part is missing.", Keys.TAB)
    time.sleep(2)  # formgrader saves on change; give the two PUTs time to land
    shot("03-graded.png")

    result = dlcourse("export", "hw0", "--out", graded)
    assert result.returncode == 0, result.stderr
    with open(graded / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(rows["perfect"]["score"]) == 16 + 1.5  # autograded 16, written 1.5 of 2
    assert float(rows["perfect"]["manual_pending"]) == 0
    assert "manual grading" not in rows["perfect"]["reason"]
    assert float(rows["partial"]["score"]) == float(rows["partial"]["auto_score"])  # nobody else changed
    with open(graded / "manual_grades.csv", newline="") as f:
        manual = list(csv.DictReader(f))
    assert manual == [{"student_id": "perfect", "assignment": "hw0", "question": "written_stability",
                       "score": "1.5", "max_score": "2",
                       "comment": "Shift cancels and no overflow: right. The underflow part is missing."}]
    browser.get(f"{formgrader}/formgrader/gradebook/hw0/hw0")
    _wait(browser, "table tbody tr .name a")
    time.sleep(1)
    shot("04-after.png")
    assert all((ARTIFACTS / n).stat().st_size > 5000 for n in
               ("01-submissions.png", "02-submission.png", "03-graded.png", "04-after.png"))
    assert Path(ARTIFACTS).is_dir()
