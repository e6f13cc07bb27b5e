class CourseError(Exception):
    """A problem with the instructor's input: printed as one clear message, exit status 2."""
