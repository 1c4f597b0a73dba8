package main

import rego.v1

warn_user_data contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_instance"
	msg := sprintf("%s user_data is %s", [rc.address, base64.encode(rc.change.after.user_data)])
}

warn_yaml contains msg if {
	some rc in input.resource_changes
	rc.address == "aws_s3_bucket.logs"
	# Keys in sorted order: rego-cpp keeps the order it was given, OPA sorts
	# (see the case yaml_marshal_key_order).
	msg := {"msg": "tags as YAML", "yaml": yaml.marshal({"a_list": [1, "two", {"k": true}], "nested": {"x": false, "y": 1.5}, "owner": rc.change.after.tags.owner})}
}

warn_json contains msg if {
	msg := {"msg": "variables as JSON", "json": json.marshal(input.variables)}
}

deny_version contains msg if {
	some rc in input.resource_changes
	version := rc.change.after.tags.version
	semver.is_valid(version)
	semver.compare(version, "2.0.0") < 0
	msg := sprintf("%s runs %s, older than 2.0.0", [rc.address, version])
}

deny_semver contains msg if {
	some version in ["1.4", "v1.2.3", "1.2.3-rc.1"]
	not semver.is_valid(version)
	msg := sprintf("%s is not a semantic version", [version])
}

# time.now_ns differs from run to run: only its shape is compared.
warn_clock contains msg if {
	now := time.now_ns()
	is_number(now)
	now > 1700000000000000000
	msg := sprintf("the clock has %d digits", [count(format_int(now, 10))])
}
