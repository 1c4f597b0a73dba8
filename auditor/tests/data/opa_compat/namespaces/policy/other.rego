package other

import rego.v1

deny contains "other is not chosen" if true
