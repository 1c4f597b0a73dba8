package main

import rego.v1

owners := {owner | some rc in input.resource_changes; owner := rc.change.after.tags.owner}

by_type[type] := n if {
	some rc in input.resource_changes
	type := rc.type
	n := count([r | some r in input.resource_changes; r.type == type])
}

required := {"owner", "cost-center"}

deny_tags contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	keys := {k | rc.change.after.tags[k]}
	missing := required - keys
	count(missing) > 0
	msg := {"msg": sprintf("%s lacks %d required tags", [rc.address, count(missing)]), "missing": sort(missing)}
}

deny_private_subnets contains msg if {
	subnets := [rc | some rc in input.resource_changes; rc.type == "aws_subnet"]
	not every_private(subnets)
	msg := "not every subnet is in 10.0.0.0/8"
}

every_private(subnets) if {
	every subnet in subnets {
		startswith(subnet.change.after.cidr_block, "10.")
	}
}

warn contains msg if {
	msg := {"msg": sprintf("%d owners, %d types", [count(owners), count(by_type)]), "owners": sort(owners), "by_type": by_type}
}

warn_union contains msg if {
	all := owners | {"security"}
	both := owners & {"web", "data"}
	msg := sprintf("union %d, intersection %v", [count(all), both])
}

warn_default contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_s3_bucket"
	object.get(rc.change.after, "versioning", "off") == "off"
	msg := sprintf("%s: versioning off", [rc.address])
}
