environment "production" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus"
  gateway {
    script          = "Nimbus_Gateway" # ERROR: Invalid script name
    secret          = "hunter2" # ERROR: Secret must come from env
    previous_secret = env.GW_OLD
    secret_version  = 1.5 # ERROR: Invalid value
    route {
      pattern = "https://api.example.com/x/*" # ERROR: Invalid route pattern
      zone_id = "example.com" # ERROR: Invalid zone id
    }
    route { # ERROR: Duplicate route block
      pattern = "api.example.com/*"
      zone_id = "0123456789abcdef0123456789abcdef"
    }
  }
  gateway { # ERROR: Duplicate gateway block
    secret = env.GW
  }
}
environment "staging" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus-staging"
  gateway {
    secret          = env.GW
    previous_secret = env.GW # ERROR: Same secret twice
    secret_version  = -1 # ERROR: Invalid value
  }
}
environment "qa" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus-qa"
  gateway { # ERROR: Missing required argument
    script = "nimbus-qa"
  }
}
environment "edge" {
  backend    = "cloudflare"
  account_id = env.CLOUDFLARE_ACCOUNT_ID
  database   = "nimbus-edge"
  gateway {
    secret = env.GW_SECRET.value # ERROR: Secret must come from env
    other  = 1 # ERROR: Unsupported argument
  }
}
environment "local" {
  backend = "local"
  gateway { # ERROR: Gateway needs the cloudflare backend
    secret = env.GW
  }
}
