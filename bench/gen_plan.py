#!/usr/bin/env python3
"""Writes a large Terraform plan in the exact shape of `terraform show -json`.

    bench/gen_plan.py RESOURCES OUT.json [--seed N]

The plan has `format_version` 1.2 and everything `tfaudit plan` reads:
`resource_changes` (managed and data resources, in the root module, in a plain
module, in `for_each` module instances and in a nested module; `count` and
`for_each` instances; every action kind: no-op, create, read, update,
delete-then-create and create-then-delete replacements, delete, forget and
import), `planned_values`, `prior_state`, `output_changes` and `configuration`
with matching `module_calls`, plus sensitive attributes marked in
`before_sensitive` / `after_sensitive`.

The output is a deterministic function of RESOURCES and the seed, and is streamed
to disk one resource at a time so that 100,000 resources need little memory.
"""

import argparse
import json
import sys

TERRAFORM_VERSION = "1.11.4"
PROVIDER = "registry.terraform.io/hetznercloud/hcloud"
INSTANCES_PER_BLOCK = 5

# Resource types cycled through by block number.
MANAGED_TYPES = [
    "hcloud_server",
    "hcloud_firewall",
    "hcloud_network_subnet",
    "hcloud_volume",
    "hcloud_load_balancer_target",
    "hcloud_primary_ip",
    "hcloud_rdns",
]
DATA_TYPE = "hcloud_image"

# Module instances a block can live in: (instance address, call path, parent
# instance address). Block number modulo their count picks one.
MODULES = [
    ("", [], None),
    ("module.net", ["net"], ""),
    ('module.app["eu"]', ["app"], ""),
    ('module.app["us"]', ["app"], ""),
    ('module.app["eu"].module.db', ["app", "db"], 'module.app["eu"]'),
]

# Percent of managed instances per action kind (cumulative thresholds).
ACTION_SHARES = [
    (60, "no-op"),
    (75, "update"),
    (85, "create"),
    (90, "delete"),
    (94, "delete-create"),
    (96, "create-delete"),
    (98, "forget"),
    (100, "import"),
]


def mix(value, seed):
    """A small deterministic hash, so actions look scattered but are stable."""
    value = (value * 2654435761 + seed * 40503) & 0xFFFFFFFF
    value ^= value >> 15
    value = (value * 2246822519) & 0xFFFFFFFF
    value ^= value >> 13
    return value


class Instance:
    """One resource instance, derived from its position alone."""

    def __init__(self, position, seed):
        self.position = position
        block = position // INSTANCES_PER_BLOCK
        slot = position % INSTANCES_PER_BLOCK
        self.block = block
        self.module_address, self.call_path, _ = MODULES[block % len(MODULES)]
        self.data = block % 10 == 9
        self.mode = "data" if self.data else "managed"
        self.type = DATA_TYPE if self.data else MANAGED_TYPES[block % len(MANAGED_TYPES)]
        self.name = f"r{block}"
        self.for_each = block % 3 == 1
        self.index = f"k{slot}" if self.for_each else slot
        index_text = f'["k{slot}"]' if self.for_each else f"[{slot}]"
        local = ("data." if self.data else "") + f"{self.type}.{self.name}"
        self.config_address = local
        self.address = (self.module_address + "." if self.module_address else "") + local + index_text
        if self.data:
            self.kind = "read"
        else:
            share = mix(position, seed) % 100
            self.kind = next(kind for limit, kind in ACTION_SHARES if share < limit)

    def values(self, generation):
        """Attribute values; `generation` 0 is before the change, 1 after."""
        values = {
            "id": str(100000 + self.position),
            "name": f"{self.name}-{self.index}",
            "labels": {"env": "bench", "block": str(self.block), "gen": str(generation)},
            "location": "fsn1" if self.position % 2 else "nbg1",
            "size": 10 + (self.position % 50) + (generation if self.kind == "update" else 0),
            "user_data": "cloud-config-secret",
        }
        if self.kind in ("delete-create", "create-delete") and generation == 1:
            values["location"] = "hel1"
        return values

    @staticmethod
    def sensitive_marks():
        return {"labels": {}, "user_data": True}

    def exists_before(self):
        return self.kind not in ("create", "read", "import")

    def exists_after(self):
        return self.kind not in ("delete", "forget")

    def actions(self):
        return {
            "no-op": ["no-op"],
            "update": ["update"],
            "create": ["create"],
            "read": ["read"],
            "delete": ["delete"],
            "delete-create": ["delete", "create"],
            "create-delete": ["create", "delete"],
            "forget": ["forget"],
            "import": ["no-op"],
        }[self.kind]

    def common(self):
        entry = {"address": self.address}
        if self.module_address:
            entry["module_address"] = self.module_address
        entry.update(
            {
                "mode": self.mode,
                "type": self.type,
                "name": self.name,
                "index": self.index,
                "provider_name": PROVIDER,
            }
        )
        return entry

    def resource_change(self):
        entry = self.common()
        before = self.values(0) if self.exists_before() or self.kind == "import" else None
        after = self.values(1) if self.exists_after() else None
        if self.kind == "import":
            after = before
        change = {
            "actions": self.actions(),
            "before": before,
            "after": after,
            "after_unknown": {"id": True} if self.kind in ("create", "delete-create", "create-delete") else {},
            "before_sensitive": self.sensitive_marks() if before is not None else False,
            "after_sensitive": self.sensitive_marks() if after is not None else False,
        }
        if self.kind in ("delete-create", "create-delete"):
            change["replace_paths"] = [["location"]]
        if self.kind == "import":
            change["importing"] = {"id": str(100000 + self.position)}
        entry["change"] = change
        reasons = {
            "delete-create": "replace_because_cannot_update",
            "create-delete": "replace_by_request",
            "delete": "delete_because_no_resource_config",
            "read": "read_because_config_unknown",
        }
        if self.kind in reasons:
            entry["action_reason"] = reasons[self.kind]
        return entry

    def state_resource(self, generation):
        entry = self.common()
        entry["schema_version"] = 0
        entry["values"] = self.values(generation)
        entry["sensitive_values"] = self.sensitive_marks()
        return entry


class JsonArrayWriter:
    """Writes `[item, item, ...]` one item at a time."""

    def __init__(self, out):
        self.out = out
        self.first = True
        out.write("[")

    def item(self, value):
        if not self.first:
            self.out.write(",")
        self.first = False
        self.out.write("\n")
        json.dump(value, self.out, separators=(",", ":"))

    def close(self):
        self.out.write("]")


def instances(count, seed):
    for position in range(count):
        yield Instance(position, seed)


def write_module(out, count, seed, generation, include, module_number=0):
    """One module of planned_values or prior_state: its resources, then its
    child modules nested by address."""
    module_address = MODULES[module_number][0]
    out.write("{")
    if module_address:
        out.write(f'"address":{json.dumps(module_address)},')
    out.write('"resources":')
    resources = JsonArrayWriter(out)
    blocks = (count + INSTANCES_PER_BLOCK - 1) // INSTANCES_PER_BLOCK
    for block in range(module_number, blocks, len(MODULES)):
        first = block * INSTANCES_PER_BLOCK
        for position in range(first, min(first + INSTANCES_PER_BLOCK, count)):
            instance = Instance(position, seed)
            if include(instance):
                resources.item(instance.state_resource(generation))
    resources.close()
    children = [number for number, module in enumerate(MODULES) if module[2] == module_address]
    if children:
        out.write(',"child_modules":[')
        for position, child in enumerate(children):
            if position:
                out.write(",")
            write_module(out, count, seed, generation, include, child)
        out.write("]")
    out.write("}")


def configuration(count):
    """The `configuration` section: one block per resource declaration."""
    blocks = {}
    for position in range(0, count, INSTANCES_PER_BLOCK):
        instance = Instance(position, 0)
        key = tuple(instance.call_path)
        declared = blocks.setdefault(key, {})
        if instance.config_address in declared:
            continue
        block = {
            "address": instance.config_address,
            "mode": instance.mode,
            "type": instance.type,
            "name": instance.name,
            "provider_config_key": "hcloud",
            "expressions": {
                "name": {"constant_value": instance.name},
                "location": {"references": ["var.location"]},
            },
            "schema_version": 0,
        }
        if instance.for_each:
            block["for_each_expression"] = {"references": ["local.keys"]}
        else:
            block["count_expression"] = {"constant_value": INSTANCES_PER_BLOCK}
        declared[instance.config_address] = block

    def module(path):
        body = {"resources": list(blocks.get(tuple(path), {}).values())}
        calls = {}
        for _, call_path, _ in MODULES:
            if len(call_path) == len(path) + 1 and call_path[: len(path)] == path:
                name = call_path[-1]
                call = {"source": f"./modules/{name}", "module": module(call_path)}
                if name == "app":
                    call["for_each_expression"] = {"constant_value": {"eu": "eu", "us": "us"}}
                calls[name] = call
        if calls:
            body["module_calls"] = calls
        if not path:
            body["variables"] = {"location": {"default": "fsn1"}}
            body["outputs"] = {
                "server_ids": {"expression": {"references": ["hcloud_server.r0"]}},
                "admin_token": {"sensitive": True, "expression": {"references": ["var.token"]}},
            }
        return body

    return {
        "provider_config": {
            "hcloud": {"name": "hcloud", "full_name": PROVIDER, "version_constraint": "~> 1.49"}
        },
        "root_module": module([]),
    }


def write_plan(count, out, seed):
    out.write("{")
    out.write(f'"format_version":"1.2","terraform_version":"{TERRAFORM_VERSION}",')
    out.write('"variables":{"location":{"value":"fsn1"}},')

    out.write('"planned_values":{"outputs":{')
    out.write('"server_ids":{"sensitive":false,"value":["100000"],"type":["list","string"]},')
    out.write('"admin_token":{"sensitive":true,"value":"token-value","type":"string"}},')
    out.write('"root_module":')
    write_module(out, count, seed, 1, lambda instance: instance.exists_after())
    out.write("},")

    out.write('"resource_changes":')
    changes = JsonArrayWriter(out)
    for instance in instances(count, seed):
        changes.item(instance.resource_change())
    changes.close()
    out.write(",")

    out.write('"output_changes":{')
    out.write(
        '"server_ids":{"actions":["update"],"before":["99999"],"after":["100000"],'
        '"after_unknown":false,"before_sensitive":false,"after_sensitive":false},'
    )
    out.write(
        '"admin_token":{"actions":["no-op"],"before":"token-value","after":"token-value",'
        '"after_unknown":false,"before_sensitive":true,"after_sensitive":true}'
    )
    out.write("},")

    out.write(
        f'"prior_state":{{"format_version":"1.0","terraform_version":"{TERRAFORM_VERSION}",'
        '"values":{"outputs":{"admin_token":{"sensitive":true,"value":"token-value","type":"string"}},'
    )
    out.write('"root_module":')
    write_module(out, count, seed, 0, lambda instance: instance.exists_before())
    out.write("}},")

    out.write('"configuration":')
    json.dump(configuration(count), out, separators=(",", ":"))
    out.write(",")
    out.write(
        '"relevant_attributes":[{"resource":"hcloud_server.r0","attribute":["id"]}],'
        '"checks":[],"timestamp":"2026-01-01T00:00:00Z",'
        '"applyable":true,"complete":true,"errored":false}\n'
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("resources", type=int, help="number of resource instances")
    parser.add_argument("out", help="where to write the plan JSON ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=1, help="varies which instance gets which action")
    args = parser.parse_args(argv)
    if args.resources < 0:
        parser.error("RESOURCES must be zero or more")
    if args.out == "-":
        write_plan(args.resources, sys.stdout, args.seed)
    else:
        with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as out:
            write_plan(args.resources, out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
