#!/usr/bin/env python3
"""Checks that bench/gen_plan.py writes a consistent plan:

    python3 -m unittest discover -s bench -p 'test_*.py'
"""

import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_plan  # noqa: E402


def generate(count, seed=1):
    out = io.StringIO()
    gen_plan.write_plan(count, out, seed)
    return json.loads(out.getvalue())


def module_resources(module):
    """Every resource address of a planned_values / prior_state module tree."""
    addresses = [resource["address"] for resource in module.get("resources", [])]
    for child in module.get("child_modules", []):
        for resource in child.get("resources", []):
            assert resource["address"].startswith(child["address"] + "."), resource["address"]
        addresses.extend(module_resources(child))
    return addresses


class GeneratedPlanTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plan = generate(400)

    def test_top_level_shape(self):
        plan = self.plan
        self.assertEqual(plan["format_version"], "1.2")
        for key in (
            "terraform_version",
            "planned_values",
            "resource_changes",
            "output_changes",
            "prior_state",
            "configuration",
            "applyable",
            "complete",
            "errored",
        ):
            self.assertIn(key, plan)
        self.assertEqual(len(plan["resource_changes"]), 400)

    def test_every_action_kind_appears(self):
        kinds = set()
        for change in self.plan["resource_changes"]:
            actions = tuple(change["change"]["actions"])
            kinds.add("import" if "importing" in change["change"] else "+".join(actions))
        self.assertEqual(
            kinds,
            {"no-op", "create", "read", "update", "delete", "delete+create", "create+delete", "forget", "import"},
        )

    def test_addresses_are_unique_and_match_their_parts(self):
        addresses = set()
        for change in self.plan["resource_changes"]:
            address = change["address"]
            self.assertNotIn(address, addresses)
            addresses.add(address)
            index = change["index"]
            key = f'["{index}"]' if isinstance(index, str) else f"[{index}]"
            local = ("data." if change["mode"] == "data" else "") + f'{change["type"]}.{change["name"]}{key}'
            module = change.get("module_address")
            self.assertEqual(address, f"{module}.{local}" if module else local)

    def test_planned_values_and_prior_state_hold_the_right_instances(self):
        changes = {change["address"]: change for change in self.plan["resource_changes"]}
        planned = module_resources(self.plan["planned_values"]["root_module"])
        prior = module_resources(self.plan["prior_state"]["values"]["root_module"])
        for address, change in changes.items():
            actions = change["change"]["actions"]
            importing = "importing" in change["change"]
            gone = actions in (["delete"], ["forget"])
            new = actions in (["create"], ["read"]) or importing
            self.assertEqual(address in planned, not gone, address)
            self.assertEqual(address in prior, not new, address)
        self.assertEqual(len(planned), len(set(planned)))

    def test_configuration_declares_every_resource_in_its_module(self):
        def declared(module, path):
            found = {(tuple(path), block["address"]) for block in module.get("resources", [])}
            for name, call in module.get("module_calls", {}).items():
                found |= declared(call["module"], path + [name])
            return found

        blocks = declared(self.plan["configuration"]["root_module"], [])
        for change in self.plan["resource_changes"]:
            module = change.get("module_address", "")
            path = [part.split("[")[0] for part in module.split("module.")[1:]]
            path = [part.rstrip(".") for part in path]
            local = ("data." if change["mode"] == "data" else "") + f'{change["type"]}.{change["name"]}'
            self.assertIn((tuple(path), local), blocks, change["address"])

    def test_sensitive_attributes_are_marked(self):
        for change in self.plan["resource_changes"]:
            after = change["change"]["after"]
            if after is not None:
                self.assertTrue(change["change"]["after_sensitive"]["user_data"])

    def test_output_is_deterministic_and_seeded(self):
        self.assertEqual(generate(50), generate(50))
        self.assertNotEqual(generate(50, seed=1), generate(50, seed=2))

    def test_empty_plan(self):
        plan = generate(0)
        self.assertEqual(plan["resource_changes"], [])


if __name__ == "__main__":
    unittest.main()
