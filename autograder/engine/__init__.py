"""The grading engine: sandboxed, forked-from-warm execution with verdicts decided outside.

- ``plan``: which cells run, in which order, taken from where (trusted source or the student).
- ``sandbox``: Linux isolation (namespaces, an unprivileged uid, resource limits).
- ``zygote``: the warm parent that imports the heavy libraries once and forks one child per run.
- ``runner``: what runs inside a child: the cells, the records, the tripwires.
- ``verdict``: the trusted comparison of recorded values with the reference run.
- ``batch``: the orchestration behind ``dlcourse grade``: parallel runs, the journal, the rows.
"""
