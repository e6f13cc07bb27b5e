"""Code that runs INSIDE the sandbox, in the student's process.

Everything here may be read, patched or impersonated by student code: it only *reports* (cell
outcomes, recorded values, which watched objects were replaced). Nothing here decides a grade;
the monitor and the verdict, outside the sandbox, check every message it sends.
"""
