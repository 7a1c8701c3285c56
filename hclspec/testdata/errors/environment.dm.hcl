environment "production" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus"
  path       = ".dmplan"  # ERROR: Argument not valid for this backend
}
environment "staging" { # ERROR: Missing required argument
  backend    = "cloudflare"
  account_id = "abc123"
}
environment "edge" {
  backend = "workers" # ERROR: Unknown backend
}
environment "Bad Name" { # ERROR: Invalid environment name
  backend = "local"
}
environment "dev" {
  backend = "local"
  path    = var.dir # ERROR: Invalid reference
}
environment "qa" { # ERROR: Missing required argument
}
