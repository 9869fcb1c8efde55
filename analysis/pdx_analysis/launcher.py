"""Run pdx from Python (issue 19): :func:`run` writes a spec given as a
dict, YAML text or path, calls ``pdx run`` with its progress shown as it
comes, and returns the loaded result; :func:`theory` does the same for
``pdx theory``. The pdx binary is ``pdx=`` if given, else the ``PDX_EXE``
environment variable, else ``pdx`` on the PATH.

A dict is written as JSON (which is YAML) to ``<output>.spec.yaml`` next
to the output, so that running the same dict again resumes (or finds
finished) the same file, and the file's ``spec_path`` names a spec that
exists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Mapping, Optional, Sequence, Union

import xarray as xr

from .errors import PdxError, PdxValueError
from .loading import load

__all__ = ["run", "theory", "find_pdx", "spec_file"]


def find_pdx(pdx: Optional[str] = None) -> str:
    """Return the pdx binary to call: ``pdx``, ``$PDX_EXE`` or ``pdx`` on
    the PATH (a :class:`PdxError` naming all three when none is found)."""
    exe = pdx or os.environ.get("PDX_EXE") or shutil.which("pdx")
    if not exe or not os.access(exe, os.X_OK):
        raise PdxError("no pdx binary: pass pdx=PATH, set PDX_EXE or put pdx on the PATH"
                       + (f" ({exe!r} is not executable)" if exe else ""))
    return exe


def spec_file(spec: Union[str, os.PathLike, Mapping], output: str) -> str:
    """Return the path of a spec file for ``spec``: the path itself, or
    ``<output>.spec.yaml`` holding a dict (as JSON) or YAML text."""
    if isinstance(spec, Mapping):
        text = json.dumps(spec, indent=1) + "\n"
    elif isinstance(spec, (str, os.PathLike)) and os.path.isfile(os.fspath(spec)):
        return os.fspath(spec)
    elif isinstance(spec, str) and ("\n" in spec or ":" in spec):
        text = spec if spec.endswith("\n") else spec + "\n"
    else:
        raise PdxValueError(f"spec {spec!r}: not a file, a dict or YAML text")
    path = os.fspath(output) + ".spec.yaml"
    old = None
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    if old != text:  # unchanged text: keep the file (and its time stamp)
        with open(path, "w") as f:
            f.write(text)
    return path


def _call(args: Sequence[str], stream) -> None:
    """Run ``args``, copying its standard error (pdx's progress lines) to
    ``stream`` line by line as they come; raise PdxError on failure."""
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    tail = []
    for line in proc.stdout:
        tail = (tail + [line])[-20:]
        if stream is not None:
            stream.write(line)
            stream.flush()
    if proc.wait() != 0:
        raise PdxError(f"{' '.join(args[:2])} failed (exit {proc.returncode}):\n"
                       + "".join(tail).rstrip())


def run(spec: Union[str, os.PathLike, Mapping], output: Union[str, os.PathLike],
        threads: Optional[int] = None, pdx: Optional[str] = None,
        args: Sequence[str] = (), stream=sys.stderr) -> xr.Dataset:
    """Run the sweep ``spec`` (a spec file, YAML text or a dict such as
    ``{"name": "demo", "data": {"alpha": {"log": [0.5, 8, 5]}}, ...}``)
    with ``pdx run`` into ``output``, ``threads`` threads (pdx's default
    when None) and extra command-line ``args`` (e.g. ``["--force"]``);
    pdx's progress is written to ``stream`` (None: quiet) as it comes.

    An existing ``output`` of the same spec is resumed, or returned at once
    when finished (pdx's rules). Returns the loaded Dataset
    (:func:`pdx_analysis.load`); raises :class:`PdxError` with pdx's
    message when it fails."""
    output = os.fspath(output)
    cmd = [find_pdx(pdx), "run", spec_file(spec, output), "-o", output]
    if threads is not None:
        cmd += ["--threads", str(int(threads))]
    _call(cmd + list(args), stream)
    return load(output)


def theory(spec: Union[str, os.PathLike, Mapping], output: Union[str, os.PathLike],
           pdx: Optional[str] = None, args: Sequence[str] = (),
           stream=sys.stderr) -> xr.Dataset:
    """Compute the theory of every cell of ``spec`` (as :func:`run`) with
    ``pdx theory`` into ``output`` and return it loaded (to pass as
    ``theory=`` to :func:`pdx_analysis.plot.heatmap`)."""
    output = os.fspath(output)
    cmd = [find_pdx(pdx), "theory", spec_file(spec, output), "-o", output]
    _call(cmd + list(args), stream)
    return load(output)
