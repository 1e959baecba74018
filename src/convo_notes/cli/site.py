"""``convo site build``, ``serve`` and ``deploy``: the team site (see :mod:`convo_notes.site`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..render.terminal import echo, style
from ..render.text import render_build_summary
from ..site.build import build_site
from .common import State, finish, pass_state

STRICT_HELP = ("Fail on any MkDocs warning, such as a broken link in a note "
               "(default: the notebook's mkdocs.yml `strict`, else off).")


@click.group()
def site() -> None:
    """Build or serve the team site: public notes only, as a MkDocs Material site.

    Private notes, and notes whose front matter cannot be read, are left out of
    every page, index, search index, sitemap and feed.
    """


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when it is inside it, else absolute."""
    try:
        return os.path.relpath(path) if Path.cwd() in path.resolve().parents else str(path)
    except (ValueError, OSError):
        return str(path)


@site.command("build")
@click.option("-d", "--site-dir", "site_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Where to write the site (default: site/ in the notebook).")
@click.option("--strict/--no-strict", default=None, help=STRICT_HELP)
@click.option("--staging", metavar="DIR", type=click.Path(file_okay=False),
              help="Keep the generated Markdown and mkdocs configuration in DIR (to check templates).")
@click.option("-j", "--jobs", metavar="N", type=click.IntRange(min=1), default=None,
              help="Render pages in N processes (default: one per CPU for sites of 300 pages or more).")
@click.option("--full", is_flag=True,
              help="Render every page, even when only some notes changed since the last build.")
@pass_state
def build(state: State, site_dir: str | None, strict: bool | None, staging: str | None, jobs: int | None,
          full: bool) -> None:
    """Build the team site as of today (--today), default into site/.

    When the same site was built before and only notes changed since, only the
    pages they reach are rendered again (--full renders every page).
    """
    nb = state.notebook()
    out = Path(site_dir).resolve() if site_dir else nb.root / "site"
    report = build_site(nb, state.today, out, strict=strict, progress=True,
                        staging_dir=Path(staging).resolve() if staging else None, jobs=jobs, full=full)
    for line in report.log:
        echo(line, err=True)
    for problem in report.problems:
        echo(style("warning: ", fg="yellow") + problem, err=True)
    for line in render_build_summary(report, state.today.isoformat(), _shown(report.out_dir)):
        echo(line)
    if sys.stderr.isatty():
        echo(f"({report.seconds:.1f} s)", err=True)
    finish(nb, show=False)  # the count only: a build log may be public, diagnostics name private notes


@site.command("deploy")
@click.option("--remote", default="origin", show_default=True, metavar="NAME", help="The git remote to push to.")
@click.option("--branch", default="gh-pages", show_default=True, metavar="BRANCH", help="The branch to publish.")
@click.option("-m", "--message", metavar="MSG", help="The commit message (default: names the notebook's commit).")
@click.option("--strict/--no-strict", default=None, help=STRICT_HELP)
@pass_state
def deploy(state: State, remote: str, branch: str, message: str | None, strict: bool | None) -> None:
    """Build the team site and publish it to a branch of the notebook's remote (GitHub Pages).

    The same build as `convo site build` (public notes only), committed as the
    whole content of BRANCH with ghp-import and pushed, as `mkdocs gh-deploy`
    does. Refused when the notebook has errors. Your personal overlay is never
    read.
    """
    from ..site.deploy import deploy_site

    nb = state.notebook()
    if nb.errors:
        finish(nb)  # prints the errors and exits 1: a broken notebook is not published
    done = deploy_site(nb, state.today, remote=remote, branch=branch, message=message, strict=strict)
    for problem in done.report.problems:
        echo(style("warning: ", fg="yellow") + problem, err=True)
    echo(f"published {done.report.pages} pages to {done.remote}/{done.branch}: {done.message}")


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT``, or ``PORT``) as a host and a port number."""
    host, sep, port = address.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", address
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"-a/--dev-addr: {address!r} is not HOST:PORT (for example 127.0.0.1:8000)")
    return host, int(port)


@site.command("serve")
@click.option("-a", "--dev-addr", "address", default="127.0.0.1:8000", show_default=True, metavar="HOST:PORT",
              help="Address to serve on.")
@click.option("--strict/--no-strict", default=None, help=STRICT_HELP)
@pass_state
def serve(state: State, address: str, strict: bool | None) -> None:
    """Serve the site and rebuild the pages that change as notes are edited.

    Build once, serve the result, and watch the notebook: after a save only the
    pages whose content changed are rebuilt. A note that stops reading mid-edit
    keeps its last good page and its error is printed here.
    """
    import signal

    from ..site.serve import serve_site

    host, port = parse_address(address)
    root = state.root
    # SIGTERM (a service manager, `kill`) stops the server as Ctrl+C does, so its temporary
    # folder (the built site, hundreds of MB on a large notebook) is removed on the way out
    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread (embedded use): leave signals to the host
        pass
    try:
        serve_site(root, state.today, host, port, strict, say=lambda text: echo(text, err=True))
    except KeyboardInterrupt:
        echo("Stopped.", err=True)
