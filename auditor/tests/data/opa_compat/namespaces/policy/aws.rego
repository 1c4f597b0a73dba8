package terraform.aws

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_instance"
	msg := sprintf("%s in terraform.aws", [rc.address])
}
