"""Evaluates the OPA compatibility cases with rego-cpp (PyPI `regopy`), as conftest would.

An independent Rego engine gives what tfaudit must find: this script runs
conftest's queries (`data.NS.RULE` for every `deny`/`violation`/`warn` rule of
the namespaces chosen, `data.NS.exception[_][_] == NAME` for its exceptions)
and maps the results the way `tfaudit plan --policy` reports them, without the
addresses (tfaudit's own: compared with `expected.json` alone).

    oracle.py CASE_DIR...    prints {"CASE": {"exit_code": N, "findings": [...]}, ...}

A case whose `case.json` has `"oracle": {"policy": "DIR", "why": ...}` is
evaluated from DIR instead of `policy/` (an equivalent policy in the syntax
rego-cpp reads); one with `"oracle": {"skip": WHY}` is not evaluated here (a
built-in rego-cpp lacks), and its `expected.json` is derived by hand.
"""

import fnmatch
import json
import re
import sys
from pathlib import Path

import yaml
from regopy import Input, Interpreter

FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")
PACKAGE = re.compile(r"^\s*package\s+([A-Za-z0-9_.]+)", re.MULTILINE)
# The head of a rule conftest queries: its name at the start of a line.
RULE_HEAD = re.compile(r"^((?:deny|violation|warn)(?:_[a-zA-Z0-9]+)*)\b", re.MULTILINE)


def option_values(args, flag):
    return [args[i + 1] for i, arg in enumerate(args) if arg == flag and i + 1 < len(args)]


def merge(into, document, path, source):
    for key, value in document.items():
        if key in into:
            if isinstance(into[key], dict) and isinstance(value, dict):
                merge(into[key], value, path + [key], source)
                continue
            raise SystemExit(f"{source}: data.{'.'.join(path + [key])} set twice")
        into[key] = value


def load_data(case, paths):
    data = {}
    for given in paths:
        root = case / given
        files = sorted(p for p in root.rglob("*") if p.suffix in (".json", ".yaml", ".yml")) if root.is_dir() else [root]
        for file in files:
            text = file.read_text()
            document = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
            if document is None:
                continue
            prefix = list(file.parent.relative_to(root).parts) if root.is_dir() else []
            for key in reversed(prefix):
                document = {key: document}
            merge(data, document, [], file)
    return data


def query(interpreter, text):
    output = str(interpreter.query(text))
    if output.strip() == "undefined":
        return None
    return json.loads(output)["expressions"][0]


def short_name(rule):
    if rule in ("deny", "violation", "warn"):
        return ""
    for prefix in ("violation_", "deny_", "warn_"):
        if rule.startswith(prefix):
            rule = rule[len(prefix):]
    return rule


def evaluate(case):
    spec = json.loads((case / "case.json").read_text())
    oracle = spec.get("oracle", {})
    if "skip" in oracle:
        return None
    args = spec.get("args", [])
    policy_dir = case / oracle.get("policy", "policy")
    interpreter = Interpreter()
    packages = []
    rules = {}
    for file in sorted(policy_dir.rglob("*.rego")):
        if file.name.endswith("_test.rego"):
            continue
        text = file.read_text()
        interpreter.add_module(file.name, text)
        package = PACKAGE.search(text).group(1)
        packages.append(package)
        rules.setdefault(package, set()).update(RULE_HEAD.findall(text))
    data = load_data(case, option_values(args, "--data"))
    if data:
        interpreter.add_data_json(json.dumps(data))
    interpreter.set_input(Input(json.loads((case / spec.get("input", "plan.json")).read_text())))

    if "--all-namespaces" in args:
        namespaces = sorted(set(packages))
    else:
        patterns = option_values(args, "--namespace") or ["main"]
        namespaces = sorted({p for p in packages if any(fnmatch.fnmatchcase(p, pattern) for pattern in patterns)})

    findings = []
    for namespace in namespaces:
        # The rules come from the modules, as conftest takes them (not from
        # the package document).
        for rule in sorted(rules.get(namespace, ())):
            if not (FAILURE.match(rule) or WARNING.match(rule)):
                continue
            name = short_name(rule)
            excepted = query(interpreter, f'data.{namespace}.exception[_][_] == "{name}"') is not None
            results = query(interpreter, f"data.{namespace}.{rule}")
            if not isinstance(results, list):
                continue
            for result in results:
                if isinstance(result, str):
                    message, metadata = result, {}
                elif isinstance(result, dict):
                    message = result["msg"]
                    metadata = {k: v for k, v in result.items() if k not in ("msg", "_loc")}
                else:
                    continue
                if message == "":
                    continue
                metadata["query"] = f"data.{namespace}.{rule}"
                finding = {
                    "rule_id": "policy/deny" if FAILURE.match(rule) else "policy/warn",
                    "message": f"{namespace}.{rule}: {message}",
                    "metadata": metadata,
                    "waived": excepted,
                }
                if excepted:
                    shown = '""' if name == "" else f"`{name}`"
                    finding["waiver_reason"] = f"exception {shown} in policy package {namespace}"
                findings.append(finding)
    failed = any(f["rule_id"] == "policy/deny" and not f["waived"] for f in findings)
    findings.sort(key=lambda f: json.dumps(f, sort_keys=True))
    return {"exit_code": 1 if failed else 0, "findings": findings}


def main():
    print(json.dumps({Path(case).name: evaluate(Path(case)) for case in sys.argv[1:]}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
