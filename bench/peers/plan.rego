# The policy bench/peers.sh evaluates with regorus: what `tfaudit plan
# --budget destroy=N` enforces by default, written as a conftest user would.
# `data.budget.max_destroy` is the budget (bench/peers.sh passes it as data).
package bench.plan

import rego.v1

protected_types := {"hcloud_volume", "hcloud_network", "hcloud_primary_ip", "hcloud_floating_ip"}

managed_destroys := [change |
	some change in input.resource_changes
	change.mode == "managed"
	"delete" in change.change.actions
]

protected_destroys contains change.address if {
	some change in managed_destroys
	change.type in protected_types
}

deny contains address if {
	some address in protected_destroys
}

deny contains "destroy budget exceeded" if {
	count(managed_destroys) > data.budget.max_destroy
}
