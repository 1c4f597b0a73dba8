package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	rc.change.after.acl == "public-read"
	msg := sprintf("%s is public (acl %s)", [rc.address, rc.change.after.acl])
}

violation_ssh contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_security_group_rule"
	rc.change.after.from_port <= 22
	rc.change.after.to_port >= 22
	some cidr in rc.change.after.cidr_blocks
	cidr == "0.0.0.0/0"
	msg := sprintf("%s opens SSH to %s", [rc.address, cidr])
}

warn_modules contains msg if {
	some rc in input.resource_changes
	startswith(rc.address, "module.")
	msg := sprintf("%s comes from a module (%d changes in all)", [rc.address, count(input.resource_changes)])
}
