package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_instance"
	not regex.match(`^ami-[0-9a-f]{17}$`, rc.change.after.ami)
	msg := sprintf("%s: ami %s is not a 17-digit AMI id", [rc.address, rc.change.after.ami])
}

deny_large contains msg if {
	some rc in input.resource_changes
	glob.match("*.*xlarge", ["."], rc.change.after.instance_type)
	msg := sprintf("%s: %s is too large", [rc.address, rc.change.after.instance_type])
}

warn contains msg if {
	some rc in input.resource_changes
	glob.match("module.*.aws_subnet.*", ["."], rc.address)
	msg := sprintf("subnet %s (glob with dots as separators)", [rc.address])
}

warn_names contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	name := rc.change.after.bucket
	endswith(name, "-logs")
	parts := split(name, "-")
	msg := concat(": ", [upper(parts[0]), concat("/", parts)])
}

warn_regex_find contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_security_group_rule"
	msg := {
		"msg": sprintf("%s: numbers in its first CIDR", [rc.address]),
		"numbers": regex.find_n(`[0-9]+`, rc.change.after.cidr_blocks[0], -1),
		"lower": lower(rc.change.after.protocol),
		"replaced": regex.replace(rc.address, `\.`, "/"),
	}
}
