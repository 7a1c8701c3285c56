# The nimbus project: where its models live.

project "nimbus" {
  binding_prefix = "NIMBUS_" # KV namespace PAGES -> Worker binding NIMBUS_PAGES
}

# The default: embedded SQLite files under .dmplan, no account needed.
environment "local" {
  backend = "local"
  path    = ".dmplan"
}

# Cloudflare D1 and Workers KV. The API token comes from
# CLOUDFLARE_API_TOKEN; only the account id is read here.
environment "staging" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus-staging"
}

environment "production" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus"
}
