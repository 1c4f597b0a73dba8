package main

import rego.v1

deny contains "main is not chosen" if true
