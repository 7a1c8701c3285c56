# A fleet: a D1 database per tenant, KV shared, each tenant's keys under
# "<database>/". The key helpers generated for environment prod take the
# database.

project "saas" {
  binding_prefix = "SAAS_"
}

environment "prod" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  databases {
    prefix = "tenant-"
  }
}

model "DOC" {
  field "title" {
    type     = string
    required = true
  }
  kv {
    namespace   = "DOCS"
    key_pattern = "doc:{id}"
  }
}

model "SETTING" {
  storage     = "d1"
  primary_key = "name"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "name" { type = string }
  field "value" { type = json }
}
