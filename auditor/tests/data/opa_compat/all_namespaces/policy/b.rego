package team.b

import rego.v1

warn_region contains msg if {
	msg := sprintf("region %s", [input.variables.region.value])
}
