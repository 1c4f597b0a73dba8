#!/usr/bin/env python3
"""Writes a large Terraform plan in the exact shape of `terraform show -json`.

    bench/gen_plan.py RESOURCES OUT.json [--seed N]

The plan has `format_version` 1.2 and the members, member order and value
shapes of Terraform 1.11's plan JSON (compact, as `terraform show -json` writes
it): `variables` (one of them sensitive), `planned_values`, `resource_drift`,
`resource_changes`, `output_changes`, `prior_state`, `configuration`,
`relevant_attributes`, `checks`, `timestamp`, `applyable`, `complete` and
`errored`.

`resource_changes` cover managed and data resources in the root module, in a
plain module, in `count` and `for_each` module instances and in a nested
module; `count` and `for_each` resource instances; every action kind: no-op,
create, read, update, delete, both replacement orders (`["delete","create"]`
and `["create","delete"]`, with `action_reason` and `replace_paths`),
`["forget"]`, `["create","forget"]`, imports (`importing`, with and without
changes) and moves (`previous_address`). Unknown attributes are left out of
`after` and marked in `after_unknown`, as Terraform does; sensitive attributes
are marked in `before_sensitive` / `after_sensitive` and `sensitive_values`.

The output is a deterministic function of RESOURCES and the seed, and is
streamed to disk one resource at a time so that 100,000 resources (about
200 MB) need little memory.
"""

import argparse
import json
import sys

TERRAFORM_VERSION = "1.11.4"
PROVIDER = "registry.terraform.io/hetznercloud/hcloud"
INSTANCES_PER_BLOCK = 5
TIMESTAMP = "2026-01-01T00:00:00Z"

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
    ("module.pool[0]", ["pool"], ""),
    ("module.pool[1]", ["pool"], ""),
]

# Percent of managed instances per action kind (cumulative thresholds).
ACTION_SHARES = [
    (58, "no-op"),
    (72, "update"),
    (82, "create"),
    (87, "delete"),
    (91, "delete-create"),
    (94, "create-delete"),
    (96, "forget"),
    (97, "create-forget"),
    (98, "import"),
    (99, "import-update"),
    (100, "moved"),
]

ACTIONS = {
    "no-op": ["no-op"],
    "update": ["update"],
    "create": ["create"],
    "read": ["read"],
    "delete": ["delete"],
    "delete-create": ["delete", "create"],
    "create-delete": ["create", "delete"],
    "forget": ["forget"],
    "create-forget": ["create", "forget"],
    "import": ["no-op"],
    "import-update": ["update"],
    "moved": ["no-op"],
}

REASONS = {
    "delete-create": "replace_because_cannot_update",
    "create-delete": "replace_by_triggers",
    "create-forget": "replace_because_cannot_update",
    "delete": "delete_because_no_resource_config",
    "forget": "delete_because_no_resource_config",
    "read": "read_because_config_unknown",
}

REPLACEMENTS = ("delete-create", "create-delete", "create-forget")
# Attributes unknown until apply for objects that are created.
COMPUTED = ("id", "ipv4_address", "ipv6_address", "status")


def mix(value, seed):
    """A small deterministic hash, so actions look scattered but are stable."""
    value = (value * 2654435761 + seed * 40503) & 0xFFFFFFFF
    value ^= value >> 15
    value = (value * 2246822519) & 0xFFFFFFFF
    value ^= value >> 13
    return value


def compact(value):
    """JSON as `terraform show -json` writes it: no whitespace."""
    return json.dumps(value, separators=(",", ":"))


def cty(value):
    """Attribute values and masks: objects come from Go maps, keys sorted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


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
        prefix = self.module_address + "." if self.module_address else ""
        self.address = prefix + local + index_text
        if self.data:
            self.kind = "read"
        else:
            share = mix(position, seed) % 100
            self.kind = next(kind for limit, kind in ACTION_SHARES if share < limit)
        self.previous_address = (
            prefix + f"{self.type}.old_{self.name}" + index_text if self.kind == "moved" else None
        )
        # Some existing objects changed outside Terraform.
        self.drifted = self.exists_before() and not self.data and mix(position, seed + 7) % 100 < 2

    def values(self, generation, known=True, stale=False):
        """Attribute values; `generation` 0 is before the change (the refreshed
        state), 1 after. With `known` false, the attributes unknown until apply
        are left out; `stale` is the state before refresh (without drift)."""
        number = 100000 + self.position
        changed = generation if self.kind in ("update", "import-update") else 0
        values = {
            "backups": False,
            "delete_protection": False,
            "firewall_ids": [200000 + self.block % 97],
            "id": str(number),
            "image": "ubuntu-24.04",
            "ipv4_address": f"10.{self.block % 250}.{self.position % 250}.{self.position % 7 + 2}",
            "ipv6_address": f"2a01:4f8:c0c:{self.block % 65535:x}::1",
            "labels": {"block": str(self.block), "env": "bench", "team": f"t{self.block % 13}"},
            "location": "fsn1" if self.position % 2 else "nbg1",
            "name": f"{self.name}-{self.index}",
            "server_type": "cx22" if changed == 0 else "cx32",
            "size": 10 + (self.position % 50),
            "status": "running",
            "user_data": f"#cloud-config secret-{self.block % len(MODULES)}",
        }
        if generation == 1 and self.kind in REPLACEMENTS:
            values["location"] = "hel1"
        if generation == 1 and not known and self.kind in ("create", "read") + REPLACEMENTS:
            for name in COMPUTED:
                del values[name]
        if self.drifted and not stale:
            values["labels"] = dict(values["labels"], drift="manual")
        return values

    @staticmethod
    def sensitive_marks():
        return {"firewall_ids": [False], "labels": {}, "user_data": True}

    def unknown_marks(self):
        if self.kind in ("create",) + REPLACEMENTS or self.kind == "read":
            return {name: True for name in COMPUTED} | {"firewall_ids": [False], "labels": {}}
        return {"firewall_ids": [False], "labels": {}}

    def exists_before(self):
        return self.kind not in ("create", "read", "import", "import-update")

    def exists_after(self):
        return self.kind not in ("delete", "forget")

    def state_head(self, address=None):
        """address, mode, type, name, index, provider_name: the prefix of a
        state resource (no module_address there)."""
        return (
            f'{{"address":{compact(address or self.address)},"mode":"{self.mode}",'
            f'"type":"{self.type}","name":"{self.name}","index":{compact(self.index)},'
            f'"provider_name":"{PROVIDER}"'
        )

    def change_head(self, address=None, previous=None):
        """address, previous_address, module_address, mode, type, name, index,
        provider_name: the prefix of a resource change."""
        head = f'{{"address":{compact(address or self.address)}'
        if previous:
            head += f',"previous_address":{compact(previous)}'
        if self.module_address:
            head += f',"module_address":{compact(self.module_address)}'
        return (
            head + f',"mode":"{self.mode}","type":"{self.type}","name":"{self.name}",'
            f'"index":{compact(self.index)},"provider_name":"{PROVIDER}"'
        )

    def resource_change(self):
        importing = self.kind in ("import", "import-update")
        if self.exists_before() or importing:
            before = self.values(0)
        else:
            before = None
        after = self.values(1, known=False) if self.exists_after() else None
        if self.kind == "import":
            after = before
        change = change_body(
            ACTIONS[self.kind],
            before,
            after,
            self.unknown_marks() if after is not None else {},
            self.sensitive_marks() if before is not None else False,
            self.sensitive_marks() if after is not None else False,
        )
        if self.kind in REPLACEMENTS:
            change += ',"replace_paths":[["location"]]'
        if importing:
            change += f',"importing":{{"id":"{100000 + self.position}"}}'
        text = self.change_head(previous=self.previous_address) + ',"change":' + change + "}"
        if self.kind in REASONS:
            text += f',"action_reason":"{REASONS[self.kind]}"'
        return text + "}"

    def drift_change(self):
        """A `resource_drift` entry: the prior state against the refreshed one."""
        change = change_body(
            ["update"],
            self.values(0, stale=True),
            self.values(0),
            {},
            self.sensitive_marks(),
            self.sensitive_marks(),
        )
        return self.change_head() + ',"change":' + change + "}}"

    def state_resource(self, generation):
        values = self.values(generation, known=generation == 0)
        text = self.state_head() + ',"schema_version":0,"values":' + cty(values)
        text += ',"sensitive_values":' + cty(self.sensitive_marks())
        if generation == 0 and self.block % 4 == 0 and not self.data:
            text += ',"depends_on":["hcloud_network.main"]'
        return text + "}"


def change_body(actions, before, after, after_unknown, before_sensitive, after_sensitive):
    """The start of a `change` object (without its closing brace), members in
    Terraform's order."""
    return (
        f'{{"actions":{compact(actions)},"before":{cty(before)},"after":{cty(after)},'
        f'"after_unknown":{cty(after_unknown)},"before_sensitive":{cty(before_sensitive)},'
        f'"after_sensitive":{cty(after_sensitive)}'
    )


class JsonArrayWriter:
    """Writes `PREFIX[item,item,...]` one already serialized item at a time;
    with `omit_empty`, nothing at all when there is no item (Go's omitempty)."""

    def __init__(self, out, prefix="", omit_empty=False):
        self.out = out
        self.prefix = prefix
        self.omit_empty = omit_empty
        self.count = 0
        if not omit_empty:
            out.write(prefix + "[")

    def item(self, text):
        if self.count:
            self.out.write(",")
        elif self.omit_empty:
            self.out.write(self.prefix + "[")
        self.count += 1
        self.out.write(text)

    def close(self):
        if self.count or not self.omit_empty:
            self.out.write("]")


def instances(count, seed):
    for position in range(count):
        yield Instance(position, seed)


def write_module(out, count, seed, generation, include, module_number=0):
    """One module of planned_values or prior_state: its resources, then its
    child modules nested by address."""
    module_address = MODULES[module_number][0]
    out.write("{")
    resources = JsonArrayWriter(out, '"resources":', omit_empty=True)
    blocks = (count + INSTANCES_PER_BLOCK - 1) // INSTANCES_PER_BLOCK
    for block in range(module_number, blocks, len(MODULES)):
        first = block * INSTANCES_PER_BLOCK
        for position in range(first, min(first + INSTANCES_PER_BLOCK, count)):
            instance = Instance(position, seed)
            if include(instance):
                resources.item(instance.state_resource(generation))
    resources.close()
    written = resources.count > 0
    if module_address:
        out.write(("," if written else "") + f'"address":{compact(module_address)}')
        written = True
    children = [number for number, module in enumerate(MODULES) if module[2] == module_address]
    if children:
        out.write(("," if written else "") + '"child_modules":[')
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
                "labels": {"references": ["local.labels"]},
                "location": {"references": ["var.location"]},
                "name": {"constant_value": instance.name},
                "user_data": {"references": ["var.token"]},
            },
            "schema_version": 0,
        }
        if instance.for_each:
            block["for_each_expression"] = {"references": ["local.keys"]}
        else:
            block["count_expression"] = {"constant_value": INSTANCES_PER_BLOCK}
        declared[instance.config_address] = block

    def module(path):
        body = {}
        if not path:
            body["outputs"] = {
                "admin_token": {"sensitive": True, "expression": {"references": ["var.token"]}},
                "server_ids": {"expression": {"references": ["hcloud_server.r0"]}},
            }
        body["resources"] = list(blocks.get(tuple(path), {}).values())
        calls = {}
        for _, call_path, _ in MODULES:
            if len(call_path) == len(path) + 1 and call_path[: len(path)] == path:
                name = call_path[-1]
                if name in calls:
                    continue
                call = {"source": f"./modules/{name}", "expressions": {"location": {"references": ["var.location"]}}}
                if name == "app":
                    call["for_each_expression"] = {"constant_value": {"eu": "eu", "us": "us"}}
                if name == "pool":
                    call["count_expression"] = {"constant_value": 2}
                call["module"] = dict(module(call_path), variables={"location": {}})
                calls[name] = call
        if calls:
            body["module_calls"] = dict(sorted(calls.items()))
        if not path:
            body["variables"] = {
                "location": {"default": "fsn1"},
                "token": {"sensitive": True},
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
    out.write('"variables":{"location":{"value":"fsn1"},"token":{"value":"token-value"}},')

    out.write('"planned_values":{"outputs":{')
    out.write('"admin_token":{"sensitive":true,"type":"string","value":"token-value"},')
    out.write('"server_ids":{"sensitive":false,"type":["list","string"],"value":["100000"]}},')
    out.write('"root_module":')
    write_module(out, count, seed, 1, lambda instance: instance.exists_after())
    out.write("},")

    drifted = [instance for instance in instances(count, seed) if instance.drifted]
    if drifted:
        out.write('"resource_drift":')
        drift = JsonArrayWriter(out)
        for instance in drifted:
            drift.item(instance.drift_change())
        drift.close()
        out.write(",")

    out.write('"resource_changes":')
    changes = JsonArrayWriter(out)
    for instance in instances(count, seed):
        changes.item(instance.resource_change())
    changes.close()
    out.write(",")

    out.write('"output_changes":{')
    out.write(
        '"admin_token":{"actions":["no-op"],"before":"token-value","after":"token-value",'
        '"after_unknown":false,"before_sensitive":true,"after_sensitive":true},'
    )
    out.write(
        '"server_ids":{"actions":["update"],"before":["99999"],"after":["100000"],'
        '"after_unknown":false,"before_sensitive":false,"after_sensitive":false}'
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
    out.write(compact(configuration(count)))
    out.write(",")

    relevant = [{"resource": instance.address, "attribute": ["labels"]} for instance in drifted[::2]]
    if relevant:
        out.write(f'"relevant_attributes":{compact(relevant)},')

    checks = []
    for position in range(0, count, INSTANCES_PER_BLOCK * 50):
        instance = Instance(position, seed)
        if instance.data:
            continue
        # Check addresses are Go maps: their keys come sorted.
        static = {
            "kind": "resource",
            "mode": instance.mode,
            "name": instance.name,
            "to_display": instance.address.rsplit("[", 1)[0],
            "type": instance.type,
        }
        dynamic = {"index_key": instance.index, "to_display": instance.address}
        if instance.module_address:
            static["module"] = instance.module_address
            dynamic["module"] = instance.module_address
        checks.append(
            f'{{"address":{cty(static)},"status":"unknown",'
            f'"instances":[{{"address":{cty(dynamic)},"status":"unknown"}}]}}'
        )
    if checks:
        out.write(f'"checks":[{",".join(checks)}],')
    out.write(f'"timestamp":"{TIMESTAMP}","applyable":true,"complete":true,"errored":false}}\n')


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
