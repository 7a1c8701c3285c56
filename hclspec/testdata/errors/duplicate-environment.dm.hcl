project "nimbus" {}
project "other" {} # ERROR: Duplicate project block

environment "staging" {
  backend = "local"
}
environment "staging" { # ERROR: Duplicate environment declaration
  backend = "local"
  path    = ".staging"
}
