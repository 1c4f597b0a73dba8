package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_subnet"
	not net.cidr_contains("10.0.0.0/8", rc.change.after.cidr_block)
	msg := sprintf("%s: %s is outside 10.0.0.0/8", [rc.address, rc.change.after.cidr_block])
}

warn contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_security_group_rule"
	some cidr in rc.change.after.cidr_blocks
	net.cidr_contains(cidr, "10.20.30.40")
	msg := sprintf("%s reaches 10.20.30.40 through %s", [rc.address, cidr])
}
