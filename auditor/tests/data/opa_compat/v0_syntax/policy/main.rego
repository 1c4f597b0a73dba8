package main

deny[msg] {
	rc := input.resource_changes[_]
	rc.type == "aws_instance"
	not startswith(rc.change.after.instance_type, "t3.")
	msg := sprintf("%s: instance type %s is not a t3", [rc.address, rc.change.after.instance_type])
}

warn_untagged[msg] {
	some i
	rc := input.resource_changes[i]
	rc.type == "aws_subnet"
	not rc.change.after.tags
	msg := sprintf("resource %d (%s) has no tags", [i, rc.address])
}

violation[{"msg": msg, "region": region}] {
	region := input.variables.region.value
	region != "eu-central-1"
	msg := "region is not eu-central-1"
}

exception[rules] {
	input.variables.environment.value == "staging"
	rules := ["untagged"]
}
