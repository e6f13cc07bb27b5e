"""Instructor tools for the course: release assignments with nbgrader and grade submissions.

The ``dlcourse`` command (``autograder.cli``) is the entry point; ``nbgrader_config.py`` in this
folder holds the course's nbgrader settings.
"""
