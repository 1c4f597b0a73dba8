package main

import rego.v1

deny contains {"msg": msg, "address": rc.address, "details": {"ports": [rc.change.after.from_port, rc.change.after.to_port], "cidrs": rc.change.after.cidr_blocks}} if {
	some rc in input.resource_changes
	rc.type == "aws_security_group_rule"
	rc.change.after.cidr_blocks[_] == "0.0.0.0/0"
	msg := "ingress open to the world"
}

warn contains {"msg": "buckets need review", "severity": "low", "_loc": {"file": "plan.json", "line": 1}} if true

warn_empty contains "" if true

deny_number contains 7 if true

# A boolean rule gives no message: conftest counts it as a pass.
deny_flag if true

# An object of messages (`:=` values) is not a set: nothing, as in conftest.
warn_by_name[name] := "named" if {
	some name in ["a", "b"]
}
