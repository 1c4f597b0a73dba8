package main

import rego.v1

warn contains {"msg": sprintf("%s tags as YAML", [rc.address]), "yaml": yaml.marshal(rc.change.after.tags)} if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
}
