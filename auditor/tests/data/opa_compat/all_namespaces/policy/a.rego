package team.a

import rego.v1

violation contains "team a says no" if count(input.resource_changes) > 3
