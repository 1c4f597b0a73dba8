# Freezes: an environment lock stops every change gate of that environment until it
# expires or is removed here. Add one in a pull request, for example:
#
#   production = {
#     reason     = "Black Friday traffic"
#     owner      = "platform-oncall"
#     expires_at = "2026-11-30T23:00:00Z"
#   }
#
# Removing an entry lifts the freeze at the next apply. This configuration has no
# change gate, so setting or lifting a freeze is never blocked by a window or by
# the freeze itself.
locals {
  freezes = {}
}

resource "guardrail_environment_lock" "freeze" {
  for_each = local.freezes

  environment = each.key
  reason      = each.value.reason
  owner       = each.value.owner
  expires_at  = each.value.expires_at
}
