#!/usr/bin/env python3
"""Write each addon's README.rst from its readme/ fragments (DESCRIPTION, CONFIGURE, USAGE, CONTRIBUTORS), laid
out as OCA's oca-gen-addon-readme does. `--check` exits 1 when a README.rst is out of date (the plain tests run
it). Standard library only."""

import argparse
import ast
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ("responso_autoresponder", "responso_autoresponder_demo")
SECTIONS = (("CONFIGURE", "Configuration"), ("USAGE", "Usage"))


def _rst(markdown):
    """The fragments use *emphasis*, lists and `code`: valid reStructuredText once `code` is doubled."""
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", markdown).strip()


def _fragment(addon, name):
    with open(os.path.join(REPO, addon, "readme", name + ".md"), encoding="utf-8") as fh:
        return _rst(fh.read())


def render(addon):
    with open(os.path.join(REPO, addon, "__manifest__.py"), encoding="utf-8") as fh:
        manifest = ast.literal_eval(fh.read())
    title = manifest["name"]
    lines = [title, "=" * len(title), "", ".. Generated from the readme/ fragments by scripts/addon_readme.py: edit "
             "those, then run it.", "", _fragment(addon, "DESCRIPTION"), "", "**Table of contents**", "",
             ".. contents::", "   :local:", ""]
    for name, heading in SECTIONS:
        lines += [heading, "~" * len(heading), "", _fragment(addon, name), ""]
    lines += ["Credits", "~~~~~~~", "", "Authors", "-------", "", "* " + manifest["author"], "", "Contributors",
              "------------", "", _fragment(addon, "CONTRIBUTORS"), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a README.rst is out of date")
    args = parser.parse_args()
    stale = []
    for addon in ADDONS:
        path = os.path.join(REPO, addon, "README.rst")
        text = render(addon)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
    for path in stale:
        print(f"{path} is out of date: run scripts/addon_readme.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
