project "nimbus" {
  binding_prefix = "DMPLAN_"
}
environment "production" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus"
  gateway { # ERROR: Reserved binding name
    secret = env.GW
  }
}
model "PAGE" {
  kv { namespace = "PAGES" }
}
