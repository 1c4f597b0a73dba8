package terraform.aws.s3

import rego.v1

warn contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	msg := sprintf("%s in terraform.aws.s3", [rc.address])
}
