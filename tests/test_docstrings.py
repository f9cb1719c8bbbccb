# SPDX-License-Identifier: BSD-3-Clause
# Authors: The skae developers
"""numpydoc validation of the docstrings of skae's public API.

In the spirit of scikit-learn's ``sklearn/tests/test_docstrings.py``: every public class,
public method, property and public function exported by the ``__all__`` of a public module is
validated with :func:`numpydoc.validate.validate`. Methods inherited from scikit-learn,
skorch or PyTorch are not ours to document and are skipped: only objects whose
``__module__`` is in skae are validated.

Run ``python tests/test_docstrings.py skae.nn.MLP.forward`` to see the errors of one object.
"""

import importlib
import inspect
import re
import sys

import pytest

numpydoc_validation = pytest.importorskip(
    "numpydoc.validate",
    reason="numpydoc is needed to validate the docstrings (pip install numpydoc)",
)

PUBLIC_MODULES = (
    "skae",
    "skae.nn",
    "skae.plotting",
    "skae.datasets",
    "skae.metrics",
    "skae.exceptions",
)

# Error codes never checked (all codes: https://numpydoc.readthedocs.io/en/latest/validation.html).
IGNORED_CODES = {
    # Placement of the opening and closing quotes: style only.
    "GL01",
    "GL02",
    # "name : type" on the first line of Returns: named return values are allowed, as in
    # scikit-learn.
    "RT02",
    # Optional sections.
    "ES01",  # extended summary
    "SA01",  # See Also
    # Summary starting with an infinitive verb: the summary of a class or a module
    # ("Dense encoder: ...") is a noun phrase.
    "SS05",
}
# Only public classes (other than warnings and exceptions) and functions need an Examples
# section, not methods or properties.
EX01_KINDS = {"class", "function"}

_XFAIL_REASON = "docstring not yet numpydoc-valid (issue 14)"

#: Objects whose docstring does not validate yet, with their error codes (after the filters
#: above). The list can only shrink: an entry whose object validates, or whose codes differ
#: from the ones listed, fails the test. Never add an entry for new code.
_KNOWN_FAILURES = {}

#: Objects whose Examples section imports from a private module. Can only shrink.
_PRIVATE_EXAMPLE_IMPORTS = set()


def _is_skae(obj):
    module = getattr(obj, "__module__", None) or ""
    return module == "skae" or module.startswith("skae.")


def _member_function(klass, name):
    """The function behind ``klass.name`` and its kind, or ``(None, None)``."""
    raw = inspect.getattr_static(klass, name)
    if isinstance(raw, property):
        return raw.fget, "property"
    if isinstance(raw, (classmethod, staticmethod)):
        return raw.__func__, "method"
    if inspect.isfunction(raw):
        return raw, "method"
    return None, None


def _collect():
    """Map the public path of each public object to its kind.

    An object exported by several modules (e.g. ``skae.FitInterruptedWarning`` and
    ``skae.exceptions.FitInterruptedWarning``) is listed once, under the first module of
    :data:`PUBLIC_MODULES` exporting it.
    """
    objects, seen = {}, set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not _is_skae(obj):
                continue  # constants such as __version__ or ACTIVATIONS
            if obj in seen:
                continue
            seen.add(obj)
            path = f"{module_name}.{name}"
            if inspect.isfunction(obj):
                objects[path] = "function"
                continue
            objects[path] = "exception" if issubclass(obj, BaseException) else "class"
            for member in dir(obj):
                if member.startswith("_"):
                    continue
                func, kind = _member_function(obj, member)
                if func is not None and _is_skae(func):
                    objects[f"{path}.{member}"] = kind
    return dict(sorted(objects.items()))


OBJECTS = _collect()


def _filter_errors(errors, kind):
    for code, message in errors:
        if code in IGNORED_CODES:
            continue
        if code == "EX01" and kind not in EX01_KINDS:
            continue
        # A property has no signature: no parameters to document. GL08 is the failure to
        # parse its signature, not a missing docstring.
        if kind == "property" and code in ("PR02", "GL08"):
            continue
        yield code, message


class DocstringError(AssertionError):
    """The docstring of an object does not validate."""


def _report(path, result, errors):
    return "\n\n".join(
        [
            f"{path} ({result['file']}:{result['file_line']})",
            result["docstring"],
            "# Errors",
            "\n".join(f" - {code}: {message}" for code, message in errors),
        ]
    )


def _params(names, known, reason):
    return [
        pytest.param(
            name,
            id=name,
            marks=pytest.mark.xfail(strict=True, raises=DocstringError, reason=reason)
            if name in known
            else (),
        )
        for name in names
    ]


@pytest.mark.parametrize("path", _params(OBJECTS, _KNOWN_FAILURES, _XFAIL_REASON))
def test_docstring(path):
    """The docstring of each public object validates with numpydoc."""
    result = numpydoc_validation.validate(path)
    errors = list(_filter_errors(result["errors"], OBJECTS[path]))
    codes = {code for code, _ in errors}
    known = _KNOWN_FAILURES.get(path)
    if known is not None and codes and codes != known:
        pytest.fail(
            f"{path} now fails with {sorted(codes)}, not {sorted(known)}: update its entry "
            "in _KNOWN_FAILURES (it may only lose codes).\n\n" + _report(path, result, errors)
        )
    if errors:
        raise DocstringError(_report(path, result, errors))


def test_known_failures_are_public_objects():
    """Entries of the known-failure lists name objects that are still validated."""
    stale = (set(_KNOWN_FAILURES) | _PRIVATE_EXAMPLE_IMPORTS) - set(OBJECTS)
    assert not stale, f"Remove {sorted(stale)} from the known-failure lists."


_IMPORT = re.compile(r"^\s*(?:>>>|\.\.\.)\s+(?:from\s+(\S+)\s+import\s+(.+)|import\s+(.+))$")


def _private_imports(docstring):
    """The import lines of the doctests of ``docstring`` that use private skae names."""
    bad = []
    for line in (docstring or "").splitlines():
        match = _IMPORT.match(line)
        if match is None:
            continue
        if match[1] is not None:
            modules, names = [match[1]], re.findall(r"\w+", match[2].split("#")[0])
        else:
            modules = [m.split(" as ")[0].strip() for m in match[3].split("#")[0].split(",")]
            names = []
        for module in modules:
            if module != "skae" and not module.startswith("skae."):
                continue
            private_name = any(name.startswith("_") and name != "__version__" for name in names)
            if module not in PUBLIC_MODULES or private_name:
                bad.append(line.strip())
    return bad


@pytest.mark.parametrize(
    "path",
    _params(
        [*PUBLIC_MODULES, *OBJECTS],
        _PRIVATE_EXAMPLE_IMPORTS,
        "Examples section imports from a private module (issue 14)",
    ),
)
def test_examples_import_public_names(path):
    """The examples import what they use from the public modules, as a user would."""
    obj = numpydoc_validation.Validator._load_obj(path)
    bad = _private_imports(inspect.getdoc(obj))
    if bad:
        raise DocstringError(f"The examples of {path} import private names: {bad}")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        result = numpydoc_validation.validate(path)
        errors = list(_filter_errors(result["errors"], OBJECTS.get(path, "function")))
        print(_report(path, result, errors) if errors else f"{path}: OK")
