project "My Project" { # ERROR: Invalid project name
  binding_prefix = "NIMBUS-" # ERROR: Invalid binding prefix
}
