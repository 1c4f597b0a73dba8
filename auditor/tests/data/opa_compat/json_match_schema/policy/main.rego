package main

import rego.v1

schema := {
	"type": "object",
	"required": ["owner", "cost-center"],
	"properties": {"owner": {"type": "string"}, "cost-center": {"type": "string", "pattern": "^cc-[0-9]+$"}},
}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	[valid, _] := json.match_schema(rc.change.after.tags, schema)
	not valid
	msg := sprintf("%s: tags do not match the schema", [rc.address])
}

warn contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	[valid, _] := json.match_schema(rc.change.after.tags, schema)
	valid
	msg := sprintf("%s: tags match the schema", [rc.address])
}
