"""Validates rendered Kubernetes manifests against published schemas, rejecting unknown fields.

Usage: validate_manifests.py --kubernetes-version 1.33 FILE...

Each FILE is a multi-document YAML stream (the output of `kubectl kustomize`). Every
document is checked against the schema of its apiVersion and kind:

* Kubernetes built-in kinds: the JSON schemas shipped by the PyPI package
  kubernetes-validate, in their strict variant (additionalProperties: false).
* Flux (source, kustomize, helm, notification, image toolkits), cert-manager and
  prometheus-operator (monitoring.coreos.com) kinds: the models of the PyPI packages
  cloudcoil-models-fluxcd, cloudcoil-models-cert-manager and
  cloudcoil-models-prometheus-operator, which are generated from those projects'
  published CRD schemas. The models ignore fields they do not know, so a document is
  also compared with what the model kept: any field the schema does not define is an
  error, except below fields the CRD leaves open (x-kubernetes-preserve-unknown-fields,
  such as HelmRelease values), which the models hold as free-form maps.

A kind for which neither package has a schema is an error, not a skip.
Prints one `ERROR file: kind/name: message` line per problem; exits 1 if there was any.
"""

import argparse
import importlib
import inspect
import pkgutil
import sys

import kubernetes_validate.utils as kv
import pydantic
import yaml
from cloudcoil.resources import Resource

CRD_MODEL_PACKAGES = (
    "cloudcoil.models.fluxcd",
    "cloudcoil.models.cert_manager",
    "cloudcoil.models.prometheus_operator",
)


def crd_models():
    """(apiVersion, kind) -> the model generated from that CRD version's schema."""
    models = {}
    for package_name in CRD_MODEL_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            module = importlib.import_module(info.name)
            for name, cls in vars(module).items():
                if not (inspect.isclass(cls) and issubclass(cls, Resource)):
                    continue
                if cls.__module__ != module.__name__ or "api_version" not in cls.model_fields:
                    continue
                annotation = cls.model_fields["api_version"].annotation
                for version in literal_values(annotation):
                    models[(version, name)] = cls
    return models


def literal_values(annotation):
    values = []
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, str):
            values.append(arg)
        else:
            values.extend(literal_values(arg))
    return values


def unknown_fields(given, kept, path=""):
    """Paths present in the document but dropped by the model."""
    found = []
    if isinstance(given, dict):
        for key, value in given.items():
            here = f"{path}.{key}" if path else str(key)
            if not isinstance(kept, dict) or key not in kept:
                found.append(here)
            else:
                found.extend(unknown_fields(value, kept[key], here))
    elif isinstance(given, list) and isinstance(kept, list):
        for index, (item, kept_item) in enumerate(zip(given, kept)):
            found.extend(unknown_fields(item, kept_item, f"{path}[{index}]"))
    return found


def validate_crd(model, document):
    try:
        instance = model.model_validate(document)
    except pydantic.ValidationError as error:
        return [
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        ]
    kept = instance.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"{field}: unknown field (not in the {document['kind']} schema)"
            for field in unknown_fields(document, kept)]


def validate_core(document, version):
    try:
        kv.validate(document, version, strict=True)
    except kv.ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "(document)"
        return [f"{where}: {error.message}"]
    except kv.SchemaNotFoundError:
        return None
    return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubernetes-version", default="1.33")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    models = crd_models()
    problems = 0
    checked = 0
    for filename in args.files:
        try:
            with open(filename, encoding="utf-8") as stream:
                documents = [doc for doc in yaml.safe_load_all(stream) if doc]
        except yaml.YAMLError as error:
            problems += 1
            print(f"ERROR {filename}: not valid YAML: {error}")
            continue
        for document in documents:
            kind = document.get("kind", "?")
            api_version = document.get("apiVersion", "?")
            name = (document.get("metadata") or {}).get("name", "?")
            model = models.get((api_version, kind))
            if model is not None:
                errors = validate_crd(model, document)
            else:
                errors = validate_core(document, args.kubernetes_version)
                if errors is None:
                    errors = [f"no published schema for {api_version} {kind}"]
            checked += 1
            for message in errors:
                problems += 1
                print(f"ERROR {filename}: {kind}/{name}: {message}")
    print(f"checked {checked} documents, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
