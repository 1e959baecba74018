"""``convo site deploy``: publish the built site to a branch of the notebook's git remote.

The site is built by the same :func:`.build.build_site` as ``convo site build``
(public notes only, with every check the build makes), into a temporary folder,
then committed to ``gh-pages`` (by default) and pushed, the way ``mkdocs
gh-deploy`` does it: with ``ghp-import``, MkDocs' own choice, which writes the
branch through ``git fast-import`` without touching the working tree, and adds
``.nojekyll`` so GitHub Pages serves the files as they are.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import SiteError
from ..model import Notebook
from .build import BuildReport, build_site


@dataclass(frozen=True)
class Deployment:
    """What was published where."""

    remote: str
    branch: str
    message: str
    report: BuildReport


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=300,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SiteError(f"cannot run git: {exc}") from None


def default_message(root: Path) -> str:
    """``Deploy the site of <commit> with convo site deploy``, as ``mkdocs gh-deploy`` words it."""
    head = _git(root, "rev-parse", "--short", "HEAD")
    sha = head.stdout.strip() if head.returncode == 0 else "an uncommitted notebook"
    return f"Deploy the site of {sha} with convo site deploy"


def deploy_site(nb: Notebook, today: dt.date, *, remote: str = "origin", branch: str = "gh-pages",
                message: str | None = None, strict: bool | None = None) -> Deployment:
    """Build the site of ``nb`` and push it as the only content of ``branch`` on ``remote``.

    Refused (:class:`SiteError`) outside a git repository, without that remote, or
    when git refuses the push (the remote's branch moved: run it again).
    """

    root = Path(nb.root)
    if _git(root, "rev-parse", "--git-dir").returncode != 0:
        raise SiteError(f"{root} is not a git repository: `convo site deploy` publishes to a branch of its remote")
    if _git(root, "remote", "get-url", remote).returncode != 0:
        raise SiteError(f"no git remote `{remote}` (see `git remote -v`; --remote NAME chooses another)")
    _git(root, "fetch", "--quiet", remote, branch)  # as mkdocs gh-deploy: build on the branch as published
    text = message or default_message(root)
    with tempfile.TemporaryDirectory(prefix="convo-deploy-") as tmp:
        out = Path(tmp) / "site"
        report = build_site(nb, today, out, strict=strict, keep_state=False)  # a folder thrown away
        _publish(root, out, remote, branch, text)
    return Deployment(remote, branch, text, report)


def _publish(root: Path, out: Path, remote: str, branch: str, message: str) -> None:
    """``ghp-import`` of ``out`` onto ``branch``, pushed to ``remote`` (git runs in ``root``:
    ghp-import uses the process's working directory, so it is changed for the call)."""
    import os

    import ghp_import

    here = os.getcwd()
    os.chdir(root)
    try:
        # no_history + force: the branch holds the current site only, so a note made private since
        # the last deploy cannot be read from the branch's history either
        ghp_import.ghp_import(str(out), mesg=message, remote=remote, branch=branch, push=True,
                              nojekyll=True, use_shell=False, no_history=True, force=True)
    except ghp_import.GhpError as exc:
        raise SiteError(f"could not publish to {remote}/{branch}: {exc.message}") from None
    except subprocess.CalledProcessError:
        raise SiteError(f"git refused to push {branch} to {remote} (see above); "
                        "fetch, then run `convo site deploy` again") from None
    finally:
        os.chdir(here)
