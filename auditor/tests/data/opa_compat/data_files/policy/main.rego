package main

import rego.v1

import data.exceptions

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_instance"
	not rc.change.after.instance_type in data.limits.aws.instance_types
	msg := sprintf("%s: %s is not one of %v (team %s)", [rc.address, rc.change.after.instance_type, data.limits.aws.instance_types, data.team])
}

deny_bucket contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	not rc.change.after.bucket in exceptions.buckets
	msg := sprintf("%s is not on the exception list", [rc.address])
}
