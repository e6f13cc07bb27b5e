"""Sphinx configuration of the course website: `make site` (tools/site_build.py) builds build/site/.

Why Sphinx + myst-nb + sphinx-book-theme, and not the alternatives:
- It is what Jupyter Book 1.x is made of (same parser, notebook reader and theme), used directly: no
  extra wrapper, whose 1.x line is in maintenance mode now that Jupyter Book 2 exists.
- Jupyter Book 2 (mystmd) is a Node.js tool that downloads its site theme at build time: it cannot
  build on our CI or a laptop without network, and Node would be a second toolchain. Everything here
  installs with pip from pinned versions (the `site` extra, constraints/ci.txt).
- Sphinx's search is a static index (searchindex.js) that works from the file system, so the site,
  downloaded, is searchable offline.
- Execution: myst-nb only renders (`nb_execution_mode = "off"`). tools/site_build.py hands it
  notebooks that already carry their outputs, from build/executed/, the cache `make test` fills while
  nbval runs the lectures (tools/site_capture.py), so a notebook is never executed twice.

The source folder is generated (build/site-src/) and mirrors the repository's paths
(notebooks/NN_x.ipynb, release/hwN/hwN.ipynb), so the theme's Colab launch buttons point at the
repository's own notebooks.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_course = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dlcourse"]

project = "Deep Learning from First Principles"
author = "Deep Learning from First Principles contributors"
copyright = "the contributors; code MIT, course content CC BY 4.0"

extensions = ["myst_nb"]
exclude_patterns = ["_files", "_assets", "**.ipynb_checkpoints"]

# Notebooks: render the outputs they carry, never execute (homework stubs raise NotImplementedError by
# design; lectures come executed from build/executed/).
nb_execution_mode = "off"
nb_merge_streams = True
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = [
    "myst.header",  # notebooks start at '# title' then use '##'; some markdown cells start at '###'
    "misc.highlighting_failure",  # output text that is not Python, e.g. a printed table
]

# MathJax 2 from the site itself (tools/site_build.py copies jupyter-server-mathjax's files to
# _static/mathjax): formulas render offline too. A relative path here is relative to _static/.
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
mathjax2_config = {
    # myst-nb marks notebook sections tex2jax_ignore and the math in them with the class "math".
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True,
                "processClass": "tex2jax_process|mathjax_process|math|output_area"},
    # jupyter-server-mathjax ships the STIX web fonts only (no TeX font files)
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "CommonHTML": {"linebreaks": {"automatic": True}},
    "showMathMenu": False,
    "messageStyle": "none",
}

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = [str(ROOT / "site" / "_static")]
html_css_files = ["dlcourse.css"]
html_copy_source = False  # the downloads are the repository's notebooks, linked on each page
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": _course["repository"],
    "repository_branch": _course["branch"],
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": False,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
