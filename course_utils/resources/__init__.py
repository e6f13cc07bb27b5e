"""Files shipped inside the package so that fast mode and the Colab self-check need no download.

A package (not a bare folder) so that setuptools installs it as one, without warning.
"""
