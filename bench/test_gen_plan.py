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
            if "previous_address" in change:
                kinds.add("moved")
        self.assertEqual(
            kinds,
            {
                "no-op",
                "create",
                "read",
                "update",
                "delete",
                "delete+create",
                "create+delete",
                "forget",
                "create+forget",
                "import",
                "moved",
            },
        )

    def test_replacements_say_why_and_which_paths(self):
        for change in self.plan["resource_changes"]:
            actions = change["change"]["actions"]
            if len(actions) == 2:
                self.assertIn("action_reason", change, change["address"])
                self.assertEqual(change["change"]["replace_paths"], [["location"]])

    def test_unknown_attributes_are_left_out_of_after(self):
        for change in self.plan["resource_changes"]:
            after, unknown = change["change"]["after"], change["change"]["after_unknown"]
            for name, flag in unknown.items():
                if flag is True:
                    self.assertNotIn(name, after, change["address"])

    def test_drift_is_refreshed_state_and_relevant_attributes_name_drifted_resources(self):
        drift = self.plan["resource_drift"]
        self.assertTrue(drift)
        prior = {}

        def collect(module):
            for resource in module.get("resources", []):
                prior[resource["address"]] = resource["values"]
            for child in module.get("child_modules", []):
                collect(child)

        collect(self.plan["prior_state"]["values"]["root_module"])
        for entry in drift:
            self.assertEqual(entry["change"]["actions"], ["update"])
            self.assertNotEqual(entry["change"]["before"], entry["change"]["after"])
            self.assertEqual(prior[entry["address"]], entry["change"]["after"])
        drifted = {entry["address"] for entry in drift}
        for relevant in self.plan["relevant_attributes"]:
            self.assertIn(relevant["resource"], drifted)

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

    def test_size_is_near_terraform_plans_of_that_many_resources(self):
        out = io.StringIO()
        gen_plan.write_plan(1000, out, 1)
        per_resource = len(out.getvalue()) / 1000
        self.assertGreater(per_resource, 1800)
        self.assertLess(per_resource, 2600)


# Member order of Terraform's plan JSON structs (internal/command/jsonplan,
# jsonstate, jsonconfig); members are omitted when empty. Go maps (attribute
# values, masks, `variables`, `outputs`, `module_calls`, `expressions`, check
# addresses) have sorted keys instead.
ORDERS = {
    "plan": [
        "format_version",
        "terraform_version",
        "variables",
        "planned_values",
        "resource_drift",
        "resource_changes",
        "deferred_changes",
        "output_changes",
        "prior_state",
        "configuration",
        "relevant_attributes",
        "checks",
        "timestamp",
        "applyable",
        "complete",
        "errored",
    ],
    "resource_change": [
        "address",
        "previous_address",
        "module_address",
        "mode",
        "type",
        "name",
        "index",
        "provider_name",
        "deposed",
        "change",
        "action_reason",
    ],
    "change": [
        "actions",
        "before",
        "after",
        "after_unknown",
        "before_sensitive",
        "after_sensitive",
        "replace_paths",
        "importing",
        "generated_config",
    ],
    "state_values": ["outputs", "root_module"],
    "state_module": ["resources", "address", "child_modules"],
    "state_resource": [
        "address",
        "mode",
        "type",
        "name",
        "index",
        "provider_name",
        "schema_version",
        "values",
        "sensitive_values",
        "depends_on",
        "tainted",
        "deposed_key",
    ],
    "planned_output": ["sensitive", "type", "value"],
    "state_output": ["sensitive", "value", "type"],
    "output_change": ["actions", "before", "after", "after_unknown", "before_sensitive", "after_sensitive"],
    "prior_state": ["format_version", "terraform_version", "values"],
    "config_module": ["outputs", "resources", "module_calls", "variables"],
    "config_resource": [
        "address",
        "mode",
        "type",
        "name",
        "provider_config_key",
        "provisioners",
        "expressions",
        "schema_version",
        "count_expression",
        "for_each_expression",
        "depends_on",
    ],
    "module_call": ["source", "expressions", "count_expression", "for_each_expression", "module", "version_constraint", "depends_on"],
    "config_output": ["sensitive", "expression", "description", "depends_on"],
}

REAL_PLANS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "auditor", "tests", "data", "plans")
# Cases made by real Terraform 1.11 with terraform_data (generate.sh there).
REAL_CASES = ["lifecycle", "imports", "spread_modules", "no_changes"]


def objects_by_kind(plan):
    """(kind, key list) of every object whose member order Terraform fixes."""
    found = [("plan", list(plan))]

    def state_module(module):
        found.append(("state_module", list(module)))
        for resource in module.get("resources", []):
            found.append(("state_resource", list(resource)))
        for child in module.get("child_modules", []):
            state_module(child)

    def config_module(module):
        found.append(("config_module", list(module)))
        for resource in module.get("resources", []):
            found.append(("config_resource", list(resource)))
        for output in module.get("outputs", {}).values():
            found.append(("config_output", list(output)))
        for call in module.get("module_calls", {}).values():
            found.append(("module_call", list(call)))
            config_module(call["module"])
        for name in ("outputs", "module_calls", "variables"):
            if name in module:
                found.append(("sorted", list(module[name])))

    for section in ("resource_changes", "resource_drift"):
        for change in plan.get(section, []):
            found.append(("resource_change", list(change)))
            found.append(("change", list(change["change"])))
            for side in ("before", "after"):
                if isinstance(change["change"][side], dict):
                    found.append(("sorted", list(change["change"][side])))
    if "planned_values" in plan:
        found.append(("state_values", list(plan["planned_values"])))
        for output in plan["planned_values"].get("outputs", {}).values():
            found.append(("planned_output", list(output)))
        state_module(plan["planned_values"]["root_module"])
    if "prior_state" in plan:
        found.append(("prior_state", list(plan["prior_state"])))
        values = plan["prior_state"]["values"]
        found.append(("state_values", list(values)))
        for output in values.get("outputs", {}).values():
            found.append(("state_output", list(output)))
        state_module(values["root_module"])
    for output in plan.get("output_changes", {}).values():
        found.append(("output_change", list(output)))
    if "configuration" in plan:
        config_module(plan["configuration"]["root_module"])
    for name in ("variables", "output_changes"):
        if name in plan:
            found.append(("sorted", list(plan[name])))
    return found


def order_problems(plan):
    problems = []
    for kind, keys in objects_by_kind(plan):
        if kind == "sorted":
            if keys != sorted(keys):
                problems.append(f"map keys not sorted: {keys}")
            continue
        order = ORDERS[kind]
        unknown = [key for key in keys if key not in order]
        if unknown:
            problems.append(f"{kind}: unexpected members {unknown}")
        elif keys != sorted(keys, key=order.index):
            problems.append(f"{kind}: members out of order: {keys}")
    return problems


class TerraformShapeTest(unittest.TestCase):
    """The generator writes what real Terraform writes."""

    @classmethod
    def setUpClass(cls):
        cls.real = {}
        for case in REAL_CASES:
            with open(os.path.join(REAL_PLANS, case, "plan.json"), encoding="utf-8") as source:
                cls.real[case] = json.load(source)
        cls.plan = generate(400)

    def test_real_plans_follow_the_member_orders(self):
        for case, plan in self.real.items():
            self.assertEqual(order_problems(plan), [], case)

    def test_generated_plan_follows_the_member_orders(self):
        self.assertEqual(order_problems(self.plan), [])

    def test_generated_plan_has_every_member_real_plans_have(self):
        def members(plan):
            seen = {}
            for kind, keys in objects_by_kind(plan):
                seen.setdefault(kind, set()).update(keys)
            seen.pop("sorted", None)
            return seen

        generated = members(self.plan)
        for case, plan in self.real.items():
            for kind, keys in members(plan).items():
                self.assertLessEqual(keys, generated.get(kind, set()), f"{case}: {kind}")

    def test_generated_json_is_compact_like_terraform_show(self):
        out = io.StringIO()
        gen_plan.write_plan(20, out, 1)
        text = out.getvalue()
        self.assertTrue(text.startswith('{"format_version":"1.2","terraform_version":'))
        self.assertNotIn('": ', text)
        self.assertNotIn('", "', text)


if __name__ == "__main__":
    unittest.main()
