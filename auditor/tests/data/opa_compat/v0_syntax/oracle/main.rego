package main

import rego.v1

deny contains msg if {
	rc := input.resource_changes[_]
	rc.type == "aws_instance"
	not startswith(rc.change.after.instance_type, "t3.")
	msg := sprintf("%s: instance type %s is not a t3", [rc.address, rc.change.after.instance_type])
}

warn_untagged contains msg if {
	some i
	rc := input.resource_changes[i]
	rc.type == "aws_subnet"
	not rc.change.after.tags
	msg := sprintf("resource %d (%s) has no tags", [i, rc.address])
}

violation contains {"msg": msg, "region": region} if {
	region := input.variables.region.value
	region != "eu-central-1"
	msg := "region is not eu-central-1"
}

exception contains rules if {
	input.variables.environment.value == "staging"
	rules := ["untagged"]
}
