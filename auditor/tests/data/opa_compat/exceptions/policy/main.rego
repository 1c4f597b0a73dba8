package main

import rego.v1

deny_public_bucket contains msg if {
	some rc in input.resource_changes
	rc.change.after.acl == "public-read"
	msg := sprintf("%s is public", [rc.address])
}

deny_big contains msg if {
	some rc in input.resource_changes
	rc.change.after.instance_type == "m5.24xlarge"
	msg := sprintf("%s is big", [rc.address])
}

warn contains "plain warn, excepted by the empty name" if true

violation_unused contains "never excepted" if true

exception contains rules if {
	input.variables.environment.value == "staging"
	rules := ["public_bucket", "other"]
}

exception contains [""] if true

exception contains ["not_a_rule"] if false
