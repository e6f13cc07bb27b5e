# nbgrader settings for the course. `dlcourse` loads this file and then sets, per run, the course
# directory (a scratch workspace, so the repository never gathers a gradebook or stale files) and
# the database URL (SQLite by default).
c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads the file

c.CourseDirectory.course_id = "dl-first-principles"
# Released stubs parse and raise NotImplementedError, as the course conventions require.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Hidden tests must never reach students: they are stripped from releases.
c.ClearHiddenTests.enforce_metadata = True
# Per-cell limit when executing a submission; training cells are kept short in the assignments.
c.Execute.timeout = 120
c.Execute.allow_errors = True
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]
