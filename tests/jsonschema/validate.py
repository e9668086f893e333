"""Validates schemac YAML schemas against the JSON Schema of the DSL.

Usage: validate.py SCHEMA_JSON PATH...

Each PATH is a YAML file or a directory searched for *.yaml and *.yml
(skipping .git, build and tests/invalid, whose schemas are wrong on purpose).
Prints every violation as "file: key.path: message" and one summary line
"N files valid" or "N of M files invalid"; exits 1 if any file is invalid,
2 on a usage or load error.

Run by tests/generator/test_jsonschema.c with Debian's python3-jsonschema and
python3-yaml. YAML is read with the YAML 1.2 core schema, as editors
(yaml-language-server) read it and like the C parser: "yes" and 2026-01-01
stay strings.
"""
import json
import os
import re
import sys

import jsonschema
import yaml

SKIP_DIRS = {".git", "build", os.path.join("tests", "invalid")}


class CoreLoader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's implicit types only."""


CoreLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
]:
    CoreLoader.add_implicit_resolver(tag, re.compile(pattern), first)


def yaml_files(path):
    if not os.path.isdir(path):
        yield path
        return
    for root, dirs, files in os.walk(path):
        rel = os.path.relpath(root, path)
        dirs[:] = sorted(d for d in dirs
                         if os.path.normpath(os.path.join(rel, d)) not in SKIP_DIRS
                         and d not in (".git", "build"))
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                yield os.path.normpath(os.path.join(root, f))


def wrong_kind(error):
    """True when error only says the value is not of the branch's kind."""
    if error.relative_path:
        return False
    if error.validator in ("type", "enum", "const"):
        return True
    return error.validator in ("anyOf", "oneOf") and all(wrong_kind(e) for e in error.context)


def closest(error):
    """For an anyOf error, the error of the one branch whose kind fits the
    value (a column that is a mapping: the mapping's error, not "is not of
    type string"); the error itself when that is not one branch."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        branches = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [errs for errs in branches.values() if not any(wrong_kind(e) for e in errs)]
        if len(fitting) != 1:
            break
        error = fitting[0][0]
    return error


def where(error):
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    total = bad = 0
    for path in argv[2:]:
        for name in yaml_files(path):
            total += 1
            try:
                with open(name, encoding="utf-8") as f:
                    doc = yaml.load(f, Loader=CoreLoader)
            except (OSError, yaml.YAMLError) as e:
                print(f"{name}: cannot load: {e}")
                bad += 1
                continue
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
            for e in errors:
                e = closest(e)
                print(f"{name}: {where(e)}: {e.message}")
            bad += bool(errors)
    if total == 0:
        print("no YAML files found", file=sys.stderr)
        return 2
    print(f"{total - bad} files valid" if not bad else f"{bad} of {total} files invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
